/** POST /v1/requests/{id}/approve {comment?}: one approval by an eligible approver. */
import { deps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { ApproveBody } from '../lib/schemas.ts';
import { approveRequest } from '../lib/use-cases/decide-request.ts';

const d = deps();

export const handler = httpRoute({ auth: true, body: ApproveBody, emptyBody: true }).handler(async (event) =>
  json(
    200,
    await approveRequest(d, event.hallpass.principal, pathId(event), event.hallpass.body.comment ?? null),
  ),
);
