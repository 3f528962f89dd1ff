/** GET /v1/openapi.json (no auth): the OpenAPI 3.1 document, generated from the request schemas. */
import { openApiDocument } from '../lib/http/openapi.ts';
import { httpRoute, json } from '../lib/http/route.ts';

export const handler = httpRoute({ auth: false }).handler(async () => json(200, openApiDocument()));
