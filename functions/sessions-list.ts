/**
 * GET /v1/sessions?principal=&entitlementId=&roleArn=&accessKeyId=&requestId=&breakGlass=&from=&to=
 * &limit=&cursor=&format=json|ndjson|csv: the audit query, newest first, by index only.
 */
import { cursorKey } from '../lib/adapters/cursor-key.ts';
import { deps } from '../lib/deps.ts';
import { parseQuery } from '../lib/http/params.ts';
import { httpRoute, json, text } from '../lib/http/route.ts';
import { SessionsQuery } from '../lib/schemas.ts';
import { exportSessions } from '../lib/use-cases/export-sessions.ts';
import { querySessions } from '../lib/use-cases/query-audit.ts';

const d = deps();

export const handler = httpRoute({ auth: true }).handler(async (event) => {
  const query = parseQuery(event, SessionsQuery);
  const key = await cursorKey(d.dynamodb, d.requests.tableName, query.cursor);
  if (query.format === 'json') return json(200, await querySessions(d, event.hallpass.principal, query, key));
  const exported = await exportSessions(d, event.hallpass.principal, query, key);
  return text(200, exported.body, {
    'Content-Type': exported.contentType,
    ...(exported.nextCursor ? { 'X-Next-Cursor': exported.nextCursor } : {}),
  });
});
