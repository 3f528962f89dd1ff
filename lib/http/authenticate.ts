/** Middleware: the bearer token of the request becomes `event.hallpass.principal`, or a 401/503. */
import type { MiddlewareObj } from '@middy/core';
import { type Authenticate, createAuthenticator } from '../adapters/auth.ts';
import { config } from '../config.ts';
import type { HttpEvent, HttpResult } from './route.ts';

// Once per container: the JWKS cache lives in this closure, so warm invocations do not refetch.
let verify: Authenticate | undefined;

export function authenticate(): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  verify ??= createAuthenticator(config());
  const check = verify;
  return {
    before: async ({ event }) => {
      event.hallpass.principal = await check(event.headers?.authorization);
    },
  };
}
