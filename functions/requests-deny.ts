/** POST /v1/requests/{id}/deny {reason}: an eligible approver refuses a pending request. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { requestsDenyRoute } from '../lib/http/routes.ts';
import { denyRequest } from '../lib/use-cases/decide-request.ts';

const deps = containerDeps();

export const handler = httpRoute(requestsDenyRoute, authenticator()).handler(async (event) =>
  json(200, await denyRequest(deps, event.hallpass.principal, pathId(event), event.hallpass.body.reason)),
);
