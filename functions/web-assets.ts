/**
 * GET /assets/{file} (no auth): the web console's scripts and styles, named by their content hash and
 * so cached for a year; any other name is the API's JSON 404.
 */
import { httpRoute } from '../lib/http/route.ts';
import { webAssetsRoute } from '../lib/http/routes.ts';
import { serveWebFile } from '../web/serve.ts';

export const handler = httpRoute(webAssetsRoute).handler(async (event) => {
  const file = event.pathParameters?.file ?? '';
  // index.html is served at / only; names come from the built assets, never from a path.
  return serveWebFile(event, file === 'index.html' ? '' : file);
});
