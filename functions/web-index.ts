/** GET / (no auth): the web console's page (web/dist/index.html), never cached without revalidation. */
import { httpRoute } from '../lib/http/route.ts';
import { webIndexRoute } from '../lib/http/routes.ts';
import { serveWebFile } from '../web/serve.ts';

export const handler = httpRoute(webIndexRoute).handler(async (event) => serveWebFile(event, 'index.html'));
