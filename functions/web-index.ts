/** GET / (no auth): the web console's page (web/dist/index.html), never cached without revalidation. */
import { httpRoute } from '../lib/http/route.ts';
import { ROUTES } from '../lib/http/routes.ts';
import { serveWebFile } from '../web/serve.ts';

export const handler = httpRoute(ROUTES['web-index']).handler(async (event) =>
  serveWebFile(event, 'index.html'),
);
