/** GET /v1/requests?view=mine|approvable&status=&limit=&cursor=: newest first, paginated. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { parseQuery } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { requestsListRoute } from '../lib/http/routes.ts';
import { listRequests } from '../lib/use-cases/read-requests.ts';

const route = requestsListRoute;
const deps = containerDeps();

export const handler = httpRoute(route, authenticator()).handler(async (event) =>
  json(200, await listRequests(deps, event.hallpass.principal, parseQuery(event, route.query))),
);
