/** GET /v1/events?requestId=|principal=: the story of a request or a person, newest first. */
import { cursorKey } from '../lib/adapters/cursor-key.ts';
import { deps } from '../lib/deps.ts';
import { parseQuery } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { EventsQuery } from '../lib/schemas.ts';
import { queryEvents } from '../lib/use-cases/query-audit.ts';

const d = deps();

export const handler = httpRoute({ auth: true }).handler(async (event) => {
  const query = parseQuery(event, EventsQuery);
  const key = await cursorKey(d.dynamodb, d.requests.tableName, query.cursor);
  return json(200, await queryEvents(d, event.hallpass.principal, query, key));
});
