/** GET /v1/entitlements: the catalog as it applies to the caller. */
import { catalog } from '../lib/catalog.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { listEntitlements } from '../lib/use-cases/list-entitlements.ts';

// Loaded at cold start: a bad catalog fails the container, naming the field.
catalog();

export const handler = httpRoute({ auth: true }).handler(async (event) =>
  json(200, listEntitlements(catalog(), event.hallpass.principal)),
);
