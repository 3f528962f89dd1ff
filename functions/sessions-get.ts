/** GET /v1/sessions/{id}: one session, for auditors and for its principal. */
import { authenticator, containerDeps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { sessionsGetRoute } from '../lib/http/routes.ts';
import { getSession } from '../lib/use-cases/query-audit.ts';

const deps = containerDeps();

export const handler = httpRoute(sessionsGetRoute, authenticator()).handler(async (event) =>
  json(200, await getSession(deps, event.hallpass.principal, pathId(event))),
);
