/** Middleware: the bearer token of the request becomes `event.hallpass.principal`, or a 401/503. */
import type { MiddlewareObj } from '@middy/core';
import type { Authenticate } from '../../adapters/auth.ts';
import type { HttpEvent, HttpResult } from '../types.ts';

export function authenticate(verify: Authenticate): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  return {
    before: async ({ event }) => {
      event.hallpass.principal = await verify(event.headers?.authorization);
    },
  };
}
