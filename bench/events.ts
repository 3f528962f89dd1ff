/**
 * API Gateway HTTP API (payload 2.0) events and Lambda contexts, shaped as API Gateway and the Lambda
 * runtime produce them (the same shape as local/api-gateway.ts builds), so that the handler runs
 * every middleware exactly as deployed.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface EventInput {
  method: string;
  path: string;
  token: string;
  body: unknown;
}

/** A fresh event (the middleware stack writes into it, so every invocation needs its own). */
export function apiEvent(input: EventInput): APIGatewayProxyEventV2 {
  const routeKey = `${input.method} ${input.path}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: input.path,
    rawQueryString: '',
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${input.token}`,
      'content-type': 'application/json',
      host: 'hallpass.example.com',
      'user-agent': 'hallpass-bench/1.0',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'hallpassbench',
      domainName: 'hallpass.example.com',
      domainPrefix: 'hallpass',
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'hallpass-bench/1.0',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: JSON.stringify(input.body),
    isBase64Encoded: false,
  };
}

export function lambdaContext(): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'hallpass-bench-credentials',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:hallpass-bench-credentials',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/hallpass-bench-credentials',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 15_000 - (Date.now() - started),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
