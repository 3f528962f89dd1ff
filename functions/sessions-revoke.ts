/** POST /v1/sessions/{id}/revoke {reason}: one live session stops working (auditors, or its principal). */
import { authenticator, revokeDeps } from '../lib/deps.ts';
import { pathId } from '../lib/http/params.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { sessionsRevokeRoute } from '../lib/http/routes.ts';
import { revokeSession } from '../lib/use-cases/revoke-sessions.ts';

// Only the revoke functions build an STS client for the revoker roles (and an IAM client per account).
const deps = revokeDeps();

export const handler = httpRoute(sessionsRevokeRoute, authenticator()).handler(async (event) =>
  json(200, await revokeSession(deps, event.hallpass.principal, pathId(event), event.hallpass.body)),
);
