/** Middleware: the bearer token of the request becomes `event.hallpass.principal`, or a 401/503. */
import type { MiddlewareObj } from '@middy/core';
import type { Authenticate, TokenRefusedError } from '../../adapters/auth.ts';
import type { Principal } from '../../core/principal.ts';
import { UnauthenticatedError } from '../../errors.ts';
import type { HttpEvent, HttpResult } from '../types.ts';

/**
 * A verifier may carry `onPrincipal`, work to do for every verified caller (Slack's group refresh):
 * it runs beside the handler and is awaited before the answer, and never fails the call.
 */
export type AuthenticateWithHook = Authenticate & { onPrincipal?: (principal: Principal) => Promise<void> };

export function authenticate(verify: AuthenticateWithHook): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  // Kept on the invocation (request.internal), never in this closure: invocations may overlap locally.
  const settle = async (request: { internal: object }) => {
    await ((request.internal as Record<string, unknown>).onPrincipal as Promise<void> | undefined)?.catch(
      () => undefined,
    );
  };
  return {
    before: async (request) => {
      const principal = await verify(request.event.headers?.authorization);
      request.event.hallpass.principal = principal;
      if (verify.onPrincipal)
        (request.internal as Record<string, unknown>).onPrincipal = verify.onPrincipal(principal);
    },
    after: settle,
    onError: settle,
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
