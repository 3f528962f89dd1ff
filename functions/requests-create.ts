/** POST /v1/requests: ask for access that needs approval (201 Request). */
import { deps } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { CreateRequestBody } from '../lib/schemas.ts';
import { createRequest } from '../lib/use-cases/create-request.ts';

const d = deps();

export const handler = httpRoute({ auth: true, body: CreateRequestBody }).handler(async (event) =>
  json(201, await createRequest(d, event.hallpass.principal, event.hallpass.body)),
);
