/** Middleware: the bearer token of the request becomes `event.hallpass.principal`, or a 401/503. */
import type { MiddlewareObj } from '@middy/core';
import type { Authenticate, TokenRefusedError } from '../../adapters/auth.ts';
import { UnauthenticatedError } from '../../errors.ts';
import type { HttpEvent, HttpResult } from '../types.ts';

export function authenticate(verify: Authenticate): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  return {
    before: async ({ event }) => {
      event.hallpass.principal = await verify(event.headers?.authorization);
    },
  };
}

/**
 * What the `access.denied` line says of a refused token: the stable reason (`expired`, `audience`,
 * `signature`, ...; lib/adapters/auth.ts REFUSAL), the configured issuer's name when the token named
 * one, and the message the client got. Never the token. Empty for any other error. (Read by shape,
 * not by class, so that the error handler of routes without a token does not load the verifier.)
 */
export function tokenRefusal(error: unknown): Record<string, string> {
  if (!(error instanceof UnauthenticatedError)) return {};
  const { reason, issuerName } = error as Partial<Pick<TokenRefusedError, 'reason' | 'issuerName'>>;
  if (typeof reason !== 'string') return {};
  return {
    reason,
    ...(issuerName ? { issuer: issuerName } : {}),
    message: error.message,
  };
}
