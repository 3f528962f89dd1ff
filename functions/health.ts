/** GET /v1/health (no auth): the function is up. It deliberately touches no dependency. */
import { httpRoute, json } from '../lib/http/route.ts';
import { healthRoute } from '../lib/http/routes.ts';

export const handler = httpRoute(healthRoute).handler(async () => json(200, { status: 'ok' }));
