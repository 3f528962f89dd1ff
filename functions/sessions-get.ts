/** GET /v1/sessions/{id}: one session, for auditors and for its principal. */
import { deps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { getSession } from '../lib/use-cases/query-audit.ts';

const d = deps();

export const handler = httpRoute({ auth: true }).handler(async (event) =>
  json(200, await getSession(d, event.hallpass.principal, pathId(event))),
);
