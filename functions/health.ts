/** GET /v1/health (no auth): the function is up. It deliberately touches no dependency. */
import { httpRoute, json } from '../lib/http/route.ts';

export const handler = httpRoute({ auth: false }).handler(async () => json(200, { status: 'ok' }));
