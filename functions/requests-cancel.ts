/** POST /v1/requests/{id}/cancel: the requester withdraws a pending or usable request. */
import { deps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { CancelBody } from '../lib/schemas.ts';
import { cancelRequest } from '../lib/use-cases/decide-request.ts';

const d = deps();

export const handler = httpRoute({ auth: true, body: CancelBody, emptyBody: true }).handler(async (event) =>
  json(200, await cancelRequest(d, event.hallpass.principal, pathId(event))),
);
