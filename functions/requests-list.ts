/** GET /v1/requests?view=mine|approvable&status=&limit=&cursor=: newest first, paginated. */
import { cursorKey } from '../lib/adapters/cursor-key.ts';
import { deps } from '../lib/deps.ts';
import { parseQuery } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { ListRequestsQuery } from '../lib/schemas.ts';
import { listRequests } from '../lib/use-cases/read-requests.ts';

const d = deps();

export const handler = httpRoute({ auth: true }).handler(async (event) => {
  const query = parseQuery(event, ListRequestsQuery);
  const key = await cursorKey(d.dynamodb, d.requests.tableName, query.cursor);
  return json(200, await listRequests(d, event.hallpass.principal, query, key));
});
