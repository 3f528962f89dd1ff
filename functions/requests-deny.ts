/** POST /v1/requests/{id}/deny {reason}: an eligible approver refuses a pending request. */
import { deps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { DenyBody } from '../lib/schemas.ts';
import { denyRequest } from '../lib/use-cases/decide-request.ts';

const d = deps();

export const handler = httpRoute({ auth: true, body: DenyBody }).handler(async (event) =>
  json(200, await denyRequest(d, event.hallpass.principal, pathId(event), event.hallpass.body.reason)),
);
