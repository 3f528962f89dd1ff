/**
 * GET /v1/sessions?principal=&entitlementId=&roleArn=&accessKeyId=&requestId=&breakGlass=&from=&to=
 * &limit=&cursor=&format=json|ndjson|csv: the audit query, newest first, by index only.
 */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { parseQuery } from '../lib/http/params.ts';
import { httpRoute, json, text } from '../lib/http/route.ts';
import { sessionsListRoute } from '../lib/http/routes.ts';
import { exportSessions, querySessions } from '../lib/use-cases/query-audit.ts';

const route = sessionsListRoute;
const deps = containerDeps();

export const handler = httpRoute(route, authenticator()).handler(async (event) => {
  const query = parseQuery(event, route.query);
  if (query.format === 'json') return json(200, await querySessions(deps, event.hallpass.principal, query));
  const exported = await exportSessions(deps, event.hallpass.principal, query);
  return text(200, exported.body, {
    'Content-Type': exported.contentType,
    ...(exported.nextCursor ? { 'X-Next-Cursor': exported.nextCursor } : {}),
  });
});
