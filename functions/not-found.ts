/** Any other method and path: the API's own JSON 404, with a request id, instead of the gateway's. */
import { NotFoundError } from '../lib/errors.ts';
import { httpRoute } from '../lib/http/route.ts';
import { NOT_FOUND } from '../lib/http/routes.ts';

export const handler = httpRoute(NOT_FOUND).handler(async (event) => {
  throw new NotFoundError(
    `no route ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`.trim(),
  );
});
