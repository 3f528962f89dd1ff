/** GET /v1/requests/{id}: one request, for its requester, eligible approvers and auditors. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { requestsGetRoute } from '../lib/http/routes.ts';
import { getRequestFor } from '../lib/use-cases/read-requests.ts';

const deps = containerDeps();

export const handler = httpRoute(requestsGetRoute, authenticator()).handler(async (event) =>
  json(200, await getRequestFor(deps, event.hallpass.principal, pathId(event))),
);
