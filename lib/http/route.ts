/**
 * The middy stack of one route, from its entry in the route table (lib/http/routes.ts), outermost
 * first:
 *   flushMetrics    the invocation's metrics, printed once as EMF lines, after everything else
 *   requestContext  the request id and the caller's address in `event.hallpass`
 *   accessLog       JSON content type, X-Request-Id and one access-log line, for every response
 *   errorHandler    errors -> API.md's JSON error, through the one error table; counts them
 *   authenticate    bearer token -> Principal (routes that need it)
 *   jsonBody        16 KiB limit, JSON only, strict schema (routes with a body)
 * Handlers receive `event.hallpass` with what these established.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Authenticate } from '../adapters/auth.ts';
import { containerMetrics, type Metrics } from '../adapters/metrics.ts';
import type * as z from '../zod.ts';
import { accessLog } from './middleware/access-log.ts';
import { authenticate } from './middleware/authenticate.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { flushMetrics } from './middleware/flush-metrics.ts';
import { jsonBody } from './middleware/json-body.ts';
import { requestContext } from './middleware/request-context.ts';
import type { RouteSpec } from './routes.ts';
import type { HttpEvent, HttpResult } from './types.ts';

export type { HttpEvent, HttpResult } from './types.ts';

/**
 * A JSON response; `noStore` for anything that carries credentials, `maxAgeSeconds` for public
 * documents others may cache (hallpass's OIDC discovery document and JWKS).
 */
export function json(
  statusCode: number,
  body: unknown,
  options: { noStore?: boolean; maxAgeSeconds?: number } = {},
): HttpResult {
  const cache: Record<string, string> = options.noStore
    ? { 'Cache-Control': 'no-store' }
    : options.maxAgeSeconds !== undefined
      ? { 'Cache-Control': `public, max-age=${options.maxAgeSeconds}` }
      : {};
  return { statusCode, headers: cache, body: JSON.stringify(body) };
}

/** A non-JSON response (exports): its own content type and headers. */
export function text(statusCode: number, body: string, headers: Record<string, string>): HttpResult {
  return { statusCode, headers, body };
}

type BodyOf<Spec extends RouteSpec> = Spec['body'] extends z.ZodMiniType ? z.infer<Spec['body']> : undefined;

/**
 * The middy handler of one route of the table, ready for `.handler(...)`. A route that needs a token
 * is given the container's verifier (lib/deps.ts `authenticator()`); the others import no deps.
 * Every route records into the container's metrics (tests may pass their own).
 */
export function httpRoute<Spec extends RouteSpec>(
  spec: Spec,
  verify?: Authenticate,
  metrics: Metrics = containerMetrics(),
) {
  type Event = HttpEvent<BodyOf<Spec>>;
  const use = (middleware: MiddlewareObj<HttpEvent<unknown>, HttpResult>) =>
    middleware as unknown as MiddlewareObj<Event, HttpResult>;
  const route = middy<Event, HttpResult>()
    .use(use(flushMetrics(metrics)))
    .use(use(requestContext()))
    .use(use(accessLog()))
    .use(use(errorHandler(metrics)));
  if (spec.auth) {
    if (!verify)
      throw new Error(`a route that needs a token needs the verifier (${spec.method} ${spec.path})`);
    route.use(use(authenticate(verify)));
  }
  if (spec.body) route.use(use(jsonBody(spec.body, { allowEmpty: spec.emptyBody ?? false })));
  return route;
}
