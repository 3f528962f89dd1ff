/** GET /v1/requests/{id}: one request, for its requester, eligible approvers and auditors. */
import { deps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { getRequestFor } from '../lib/use-cases/read-requests.ts';

const d = deps();

export const handler = httpRoute({ auth: true }).handler(async (event) =>
  json(200, await getRequestFor(d, event.hallpass.principal, pathId(event))),
);
