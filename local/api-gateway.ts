/**
 * API Gateway HTTP API (payload 2.0) events and Lambda contexts, as API Gateway and the Lambda runtime
 * produce them, for driving the route handlers in process: the tests and the load script both do.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** One HTTP call, as a client makes it. */
export interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** A raw body string, sent as is (for malformed JSON, other media types, sizes). */
  rawBody?: string;
  /** Whether `rawBody` is base64 (as API Gateway hands over bodies it treats as binary). */
  isBase64Encoded?: boolean;
  token?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
}

/** What every event shares: a client on the documentation range, behind API Gateway's TLS. */
const BASE_EVENT = {
  version: '2.0',
  routeKey: 'GET /v1/health',
  rawPath: '/v1/health',
  rawQueryString: '',
  headers: {
    accept: 'application/json',
    host: 'hallpass.example.com',
    'user-agent': 'hallpass-tests/1.0',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  },
  requestContext: {
    accountId: '000000000000',
    apiId: 'hallpasstest',
    domainName: 'hallpass.example.com',
    domainPrefix: 'hallpass',
    http: {
      method: 'GET',
      path: '/v1/health',
      protocol: 'HTTP/1.1',
      sourceIp: '203.0.113.7',
      userAgent: 'hallpass-tests/1.0',
    },
    requestId: 'test-request',
    routeKey: 'GET /v1/health',
    stage: '$default',
    time: '28/Nov/2026:12:00:00 +0000',
    timeEpoch: 1795867200000,
  },
  isBase64Encoded: false,
};

/** The event API Gateway would send the handler for `call`. */
export function apiEvent(call: Call): APIGatewayProxyEventV2 {
  const method = call.method ?? (call.body !== undefined || call.rawBody !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { ...BASE_EVENT.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  for (const [name, value] of Object.entries(call.headers ?? {})) headers[name.toLowerCase()] = value;
  const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  return {
    ...BASE_EVENT,
    routeKey: `${method} ${call.path}`,
    rawPath: call.path,
    headers,
    requestContext: {
      ...BASE_EVENT.requestContext,
      requestId: randomUUID(),
      routeKey: `${method} ${call.path}`,
      http: { ...BASE_EVENT.requestContext.http, method, path: call.path },
    },
    ...(body === undefined ? {} : { body }),
    ...(call.isBase64Encoded ? { isBase64Encoded: true } : {}),
    ...(call.pathParameters ? { pathParameters: call.pathParameters } : {}),
    ...(call.query
      ? { queryStringParameters: call.query, rawQueryString: new URLSearchParams(call.query).toString() }
      : {}),
  } as APIGatewayProxyEventV2;
}

/** The Lambda context of one invocation of `functionName`, with 15 s to run. */
export function lambdaContext(functionName = 'hallpass-test'): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 15_000 - (Date.now() - started),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
