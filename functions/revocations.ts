/** POST /v1/revocations {principal | entitlementId, reason}: every live session of a person or an entitlement. */
import { authenticator, revokeDeps } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { revocationsRoute } from '../lib/http/routes.ts';
import { revokeSessions } from '../lib/use-cases/revoke-sessions.ts';

const deps = revokeDeps();

export const handler = httpRoute(revocationsRoute, authenticator()).handler(async (event) =>
  json(200, await revokeSessions(deps, event.hallpass.principal, event.hallpass.body)),
);
