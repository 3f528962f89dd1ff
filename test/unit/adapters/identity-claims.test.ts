/**
 * Issue 19, item 1 (token side): an `email` claim names a person only when the issuer says it is
 * verified (`email_verified: true`); otherwise the next name claim, or the sub, is used.
 */
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../../lib/errors.ts';
import { useTestIssuer } from '../../support/jwt.ts';

const issuer = useTestIssuer('identity-1', 'auth0|42');
const token = issuer.token;
const authenticate = (principalClaim = 'sub') =>
  issuer.authenticate({
    claims: { principal: principalClaim, name: ['email', 'preferred_username'], groups: 'groups' },
  });

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
