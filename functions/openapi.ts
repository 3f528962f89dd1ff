/** GET /v1/openapi.json (no auth): the OpenAPI 3.1 document, generated from the route table. */
import { openApiDocument } from '../lib/http/openapi.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { openapiRoute } from '../lib/http/routes.ts';

export const handler = httpRoute(openapiRoute).handler(async () => json(200, openApiDocument()));
