/** POST /v1/sessions/{id}/review {status, comment}: an auditor's verdict on a break-glass session. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { sessionsReviewRoute } from '../lib/http/routes.ts';
import { reviewSession } from '../lib/use-cases/review-session.ts';

const deps = containerDeps();

export const handler = httpRoute(sessionsReviewRoute, authenticator()).handler(async (event) =>
  json(200, await reviewSession(deps, event.hallpass.principal, pathId(event), event.hallpass.body)),
);
