/** POST /v1/requests: ask for access that needs approval (201 Request). */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { requestsCreateRoute } from '../lib/http/routes.ts';
import { createRequest } from '../lib/use-cases/create-request.ts';

const deps = containerDeps();

export const handler = httpRoute(requestsCreateRoute, authenticator()).handler(async (event) =>
  json(201, await createRequest(deps, event.hallpass.principal, event.hallpass.body)),
);
