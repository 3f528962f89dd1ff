/**
 * GET /v1/sessions/export?principal=&entitlementId=&roleArn=&accessKeyId=&requestId=&breakGlass=&from=
 * &to=&cursor=&format=ocsf|ndjson|csv: every matching record for a SIEM, newest first, by index only;
 * `ocsf` (the default) writes sessions and workflow events as OCSF records. X-Next-Cursor continues
 * an export cut at 5 MB or 10 s.
 */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { parseQuery } from '../lib/http/params.ts';
import { httpRoute, text } from '../lib/http/route.ts';
import { sessionsExportRoute } from '../lib/http/routes.ts';
import { exportSessionsAndEvents } from '../lib/use-cases/query-audit.ts';

const route = sessionsExportRoute;
const deps = containerDeps();

export const handler = httpRoute(route, authenticator()).handler(async (event) => {
  const query = parseQuery(event, route.query);
  const exported = await exportSessionsAndEvents(deps, event.hallpass.principal, query);
  return text(200, exported.body, {
    'Content-Type': exported.contentType,
    ...(exported.nextCursor ? { 'X-Next-Cursor': exported.nextCursor } : {}),
  });
});
