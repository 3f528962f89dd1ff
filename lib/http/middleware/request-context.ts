/** Middleware: `event.hallpass` with the request id and the caller's address, before anything else. */
import type { MiddlewareObj } from '@middy/core';
import type { HttpEvent, HttpResult, RouteContext } from '../types.ts';

export function requestContext(): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  return {
    before: ({ event, context }) => {
      const { requestContext: api, headers } = event;
      event.hallpass = {
        // The Lambda request id: unique per invocation everywhere (serverless-offline repeats the
        // API Gateway one), and the id CloudWatch already shows for the invocation.
        requestId: context?.awsRequestId || crypto.randomUUID(),
        client: {
          sourceIp: api?.http?.sourceIp ?? null,
          userAgent: headers?.['user-agent'] ?? null,
        },
      } as RouteContext<unknown>;
    },
  };
}
