/**
 * Issue 19, item 1 (token side): an `email` claim names a person only when the issuer says it is
 * verified (`email_verified: true`); otherwise the next name claim, or the sub, is used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../lib/adapters/auth.ts';
import { UnauthenticatedError } from '../../../lib/errors.ts';
import {
  type KeyServer,
  newSigningKey,
  type SigningKey,
  signJws,
  startKeyServer,
} from '../../support/jwt.ts';

let ks: KeyServer;
let key: SigningKey;

beforeAll(async () => {
  key = await newSigningKey('identity-1');
  ks = await startKeyServer([key.publicJwk]);
});

afterAll(async () => {
  await ks.close();
});

const now = () => Math.floor(Date.now() / 1000);

function authenticate(principalClaim = 'sub') {
  return createAuthenticator({
    issuer: ks.issuer,
    audience: 'hallpass',
    jwksUri: ks.jwksUri,
    algorithms: ['RS256'],
    claims: { principal: principalClaim, name: ['email', 'preferred_username'], groups: 'groups' },
  });
}

function token(claims: Record<string, unknown>): string {
  const payload = {
    iss: ks.issuer,
    aud: 'hallpass',
    sub: 'auth0|42',
    iat: now(),
    exp: now() + 600,
    ...claims,
  };
  return `Bearer ${signJws({ alg: 'RS256', kid: key.kid, typ: 'JWT' }, payload, key)}`;
}

describe('the name of the principal', () => {
  it('is a verified email', async () => {
    const principal = await authenticate()(token({ email: 'bob@example.com', email_verified: true }));

    expect(principal.name).toBe('bob@example.com');
  });

  it('skips an email without email_verified for the next name claim', async () => {
    const principal = await authenticate()(token({ email: 'bob@example.com', preferred_username: 'carol' }));

    expect(principal.name).toBe('carol');
  });

  it('skips an email with email_verified: false', async () => {
    const principal = await authenticate()(token({ email: 'bob@example.com', email_verified: false }));

    expect(principal.name).toBe('auth0|42');
  });

  it('skips an email whose email_verified is the string "true"', async () => {
    const principal = await authenticate()(token({ email: 'bob@example.com', email_verified: 'true' }));

    expect(principal.name).toBe('auth0|42');
  });
});

describe('an email claim as the principal claim', () => {
  it('is refused without email_verified: true', async () => {
    await expect(authenticate('email')(token({ email: 'bob@example.com' }))).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('is accepted with email_verified: true', async () => {
    const principal = await authenticate('email')(token({ email: 'bob@example.com', email_verified: true }));

    expect(principal.sub).toBe('bob@example.com');
  });
});
