/** POST /v1/requests/{id}/cancel: the requester withdraws a pending or usable request. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { requestsCancelRoute } from '../lib/http/routes.ts';
import { cancelRequest } from '../lib/use-cases/decide-request.ts';

const deps = containerDeps();

export const handler = httpRoute(requestsCancelRoute, authenticator()).handler(async (event) =>
  json(200, await cancelRequest(deps, event.hallpass.principal, pathId(event))),
);
