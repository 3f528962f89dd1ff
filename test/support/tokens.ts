/** Tokens for the tests: signed by the test run's dev issuer, or deliberately wrong. */
import { inject } from 'vitest';
import { signDevToken } from '../../local/issuer/keys.ts';
import { AUDIENCE } from './stack-info.ts';

export interface TokenOptions {
  groups?: string[];
  name?: string;
  claims?: Record<string, unknown>;
  expiresIn?: number;
  audience?: string;
}

/** A valid token for `sub`, as the issuer would sign it. */
export function tokenFor(sub: string, options: TokenOptions = {}): Promise<string> {
  const stack = inject('stack');
  return signDevToken(stack.issuerKey, stack.issuer, {
    sub,
    groups: options.groups ?? [],
    audience: options.audience ?? AUDIENCE,
    expiresIn: options.expiresIn ?? 600,
    ...(options.name ? { name: options.name } : {}),
    extra: options.claims ?? {},
  });
}
