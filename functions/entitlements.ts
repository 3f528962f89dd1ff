/** GET /v1/entitlements: the catalog as it applies to the caller. */
import { authenticator, catalog } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { entitlementsRoute } from '../lib/http/routes.ts';
import { listEntitlements } from '../lib/use-cases/list-entitlements.ts';

// Loaded at cold start: a bad catalog fails the container, naming the field.
const entitlements = catalog();

export const handler = httpRoute(entitlementsRoute, authenticator()).handler(async (event) =>
  json(200, listEntitlements(entitlements, event.hallpass.principal)),
);
