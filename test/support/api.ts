/**
 * Drives the deployed handler modules with real API Gateway v2 (HTTP API, payload 2.0) events, as
 * API Gateway would, and reads what they answer.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import baseEvent from '../events/http-api-v2.json' with { type: 'json' };

export interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** A raw body string, sent as is (for malformed JSON, other media types, sizes). */
  rawBody?: string;
  token?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field.
  body: any;
  raw: string;
}

type LambdaFn = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export function apiEvent(call: Call): APIGatewayProxyEventV2 {
  const method = call.method ?? (call.body !== undefined || call.rawBody !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { ...baseEvent.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  for (const [name, value] of Object.entries(call.headers ?? {})) headers[name.toLowerCase()] = value;
  const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  return {
    ...baseEvent,
    routeKey: `${method} ${call.path}`,
    rawPath: call.path,
    headers,
    requestContext: {
      ...baseEvent.requestContext,
      requestId: randomUUID(),
      routeKey: `${method} ${call.path}`,
      http: { ...baseEvent.requestContext.http, method, path: call.path },
    },
    ...(body === undefined ? {} : { body }),
    ...(call.pathParameters ? { pathParameters: call.pathParameters } : {}),
    ...(call.query
      ? { queryStringParameters: call.query, rawQueryString: new URLSearchParams(call.query).toString() }
      : {}),
  } as APIGatewayProxyEventV2;
}

export function lambdaContext(): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'hallpass-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:hallpass-test',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/hallpass-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 15_000 - (Date.now() - started),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Invokes a handler as API Gateway would and parses its answer. */
/** Invokes a handler module's `handler` (a middy handler: typed loosely on purpose). */
export async function invoke(handler: unknown, call: Call): Promise<Answer> {
  const result = (await (handler as LambdaFn)(apiEvent(call), lambdaContext())) as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
  };
  const raw = result.body ?? '';
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const isJson = (headers['content-type'] ?? 'application/json').startsWith('application/json');
  return { status: result.statusCode, headers, body: raw && isJson ? JSON.parse(raw) : undefined, raw };
}
