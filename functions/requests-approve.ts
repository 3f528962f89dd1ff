/** POST /v1/requests/{id}/approve {comment?}: one approval by an eligible approver. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { requestsApproveRoute } from '../lib/http/routes.ts';
import { approveRequest } from '../lib/use-cases/decide-request.ts';

const deps = containerDeps();

export const handler = httpRoute(requestsApproveRoute, authenticator()).handler(async (event) =>
  json(
    200,
    await approveRequest(deps, event.hallpass.principal, pathId(event), event.hallpass.body.comment ?? null),
  ),
);
