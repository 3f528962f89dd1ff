/**
 * The middy stack every route shares, outermost first:
 *   contract     request id, JSON responses, the error table, one access-log line per request
 *   authenticate bearer token -> Principal (routes that need it)
 *   jsonBody     16 KiB limit, JSON only, strict schema (routes with a body)
 * Handlers receive `event.hallpass` with what these established.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Principal } from '../core/principal.ts';
import { describeError, log } from '../log.ts';
import type * as z from '../zod.ts';
import { authenticate } from './authenticate.ts';
import { mapError } from './errors.ts';
import { jsonBody } from './json-body.ts';

export interface RouteContext<Body> {
  requestId: string;
  principal: Principal;
  body: Body;
  client: { sourceIp: string | null; userAgent: string | null };
}

export type HttpEvent<Body = undefined> = APIGatewayProxyEventV2 & { hallpass: RouteContext<Body> };
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** A JSON response; `noStore` for anything that carries credentials. */
export function json(statusCode: number, body: unknown, options: { noStore?: boolean } = {}): HttpResult {
  return {
    statusCode,
    headers: options.noStore ? { 'Cache-Control': 'no-store' } : {},
    body: JSON.stringify(body),
  };
}

/** A non-JSON response (exports): its own content type and headers. */
export function text(statusCode: number, body: string, headers: Record<string, string>): HttpResult {
  return { statusCode, headers, body };
}

function contract(): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  const started = new WeakMap<object, number>();
  const finish = (request: { event: HttpEvent<unknown>; response: HttpResult | null }) => {
    const { event } = request;
    const response = request.response as HttpResult;
    response.headers = {
      'Content-Type': 'application/json',
      ...response.headers,
      'X-Request-Id': event.hallpass.requestId,
    };
    log.info('http.request', {
      requestId: event.hallpass.requestId,
      route: event.routeKey,
      status: response.statusCode,
      principal: event.hallpass.principal?.sub,
      ms: Date.now() - (started.get(event) ?? Date.now()),
    });
  };
  return {
    before: (request) => {
      started.set(request.event, Date.now());
      const { requestContext, headers } = request.event;
      request.event.hallpass = {
        // The Lambda request id: unique per invocation everywhere (serverless-offline repeats the
        // API Gateway one), and the id CloudWatch already shows for the invocation.
        requestId: request.context?.awsRequestId || crypto.randomUUID(),
        client: {
          sourceIp: requestContext?.http?.sourceIp ?? null,
          userAgent: headers?.['user-agent'] ?? null,
        },
      } as RouteContext<unknown>;
    },
    after: finish,
    onError: (request) => {
      request.event.hallpass ??= { requestId: crypto.randomUUID() } as RouteContext<unknown>;
      const mapped = mapError(request.error, request.event.hallpass.requestId);
      const fields = {
        requestId: request.event.hallpass.requestId,
        route: request.event.routeKey,
        status: mapped.status,
      };
      if (mapped.status >= 500) log.error('http.error', { ...fields, ...describeError(request.error) });
      else if (mapped.status === 401 || mapped.status === 403)
        log.warn('access.denied', { ...fields, reason: mapped.body.error.message });
      request.response = {
        statusCode: mapped.status,
        headers: mapped.headers,
        body: JSON.stringify(mapped.body),
      };
      finish(request);
    },
  };
}

export interface RouteOptions<Schema extends z.ZodMiniType | undefined> {
  /** Whether the route needs a bearer token (all but health and openapi). */
  auth: boolean;
  /** The strict schema of the body, for routes that take one. */
  body?: Schema;
  /** Whether an empty body is acceptable (routes whose fields are all optional). */
  emptyBody?: boolean;
}

type BodyOf<Schema> = Schema extends z.ZodMiniType ? z.infer<Schema> : undefined;

/** The middy handler of one route, ready for `.handler(...)`. */
export function httpRoute<Schema extends z.ZodMiniType | undefined = undefined>(
  options: RouteOptions<Schema>,
) {
  const route = middy<HttpEvent<BodyOf<Schema>>, HttpResult>().use(
    contract() as unknown as MiddlewareObj<HttpEvent<BodyOf<Schema>>, HttpResult>,
  );
  if (options.auth) route.use(authenticate() as MiddlewareObj<HttpEvent<BodyOf<Schema>>, HttpResult>);
  if (options.body) {
    route.use(
      jsonBody(options.body, { allowEmpty: options.emptyBody ?? false }) as unknown as MiddlewareObj<
        HttpEvent<BodyOf<Schema>>,
        HttpResult
      >,
    );
  }
  return route;
}
