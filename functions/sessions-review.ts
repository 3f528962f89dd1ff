/** POST /v1/sessions/{id}/review {status, comment}: an auditor's verdict on a break-glass session. */
import { deps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { ReviewBody } from '../lib/schemas.ts';
import { reviewSession } from '../lib/use-cases/review-session.ts';

const d = deps();

export const handler = httpRoute({ auth: true, body: ReviewBody }).handler(async (event) =>
  json(200, await reviewSession(d, event.hallpass.principal, pathId(event), event.hallpass.body)),
);
