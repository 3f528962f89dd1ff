/**
 * Issue 19, item 7: a token's lifetime is bounded (HALLPASS_MAX_TOKEN_AGE_SECONDS, 24 h by default)
 * and a token issued in the future (beyond the 60 s clock tolerance) is refused.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config.ts';
import { ConfigError, UnauthenticatedError } from '../../../lib/errors.ts';
import { useTestIssuer } from '../../support/jwt.ts';

const DAY = 86400;
const now = () => Math.floor(Date.now() / 1000);
const { authenticate, token } = useTestIssuer('lifetime-1', 'alice');

describe('the maximum token lifetime', () => {
  it('refuses a token that expires in the year 3000', async () => {
    const year3000 = Date.UTC(3000, 0, 1) / 1000;

    await expect(authenticate()(token({ exp: year3000 }))).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses a token whose exp - iat is over 24 h by default', async () => {
    const issued = now() - 60;

    await expect(authenticate()(token({ iat: issued, exp: issued + DAY + 1 }))).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('accepts a token that lives exactly 24 h', async () => {
    const issued = now();

    const principal = await authenticate()(token({ iat: issued, exp: issued + DAY }));

    expect(principal.sub).toBe('alice');
  });

  it('refuses a token without iat whose exp is beyond now + 24 h', async () => {
    await expect(authenticate()(token({ iat: undefined, exp: now() + DAY + 600 }))).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('accepts a token without iat that expires within 24 h', async () => {
    const principal = await authenticate()(token({ iat: undefined, exp: now() + 3600 }));

    expect(principal.sub).toBe('alice');
  });

  it('refuses a token with an old iat that still expires more than 24 h from now', async () => {
    await expect(authenticate()(token({ iat: now() - 3600, exp: now() + DAY + 600 }))).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('honours a configured maximum', async () => {
    const issued = now();

    await expect(
      authenticate({ maxTokenAgeSeconds: 3600 })(token({ iat: issued, exp: issued + 7200 })),
    ).rejects.toThrow(UnauthenticatedError);
  });
});

describe('iat in the future', () => {
  it('refuses a token issued a day ahead', async () => {
    await expect(authenticate()(token({ iat: now() + DAY, exp: now() + DAY + 600 }))).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('refuses a token issued 120 s ahead, beyond the 60 s tolerance', async () => {
    await expect(authenticate()(token({ iat: now() + 120, exp: now() + 720 }))).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('accepts a token issued 30 s ahead, inside the tolerance', async () => {
    const principal = await authenticate()(token({ iat: now() + 30, exp: now() + 630 }));

    expect(principal.sub).toBe('alice');
  });
});

describe('HALLPASS_MAX_TOKEN_AGE_SECONDS', () => {
  const REQUIRED = {
    HALLPASS_ISSUER: 'https://login.example.com/',
    HALLPASS_AUDIENCE: 'hallpass',
    HALLPASS_AUDIT_TABLE: 'hallpass-audit',
    HALLPASS_REQUESTS_TABLE: 'hallpass-requests',
  };

  it('reads a configured maximum', () => {
    const config = parseConfig({ ...REQUIRED, HALLPASS_MAX_TOKEN_AGE_SECONDS: '3600' });

    expect(config.maxTokenAgeSeconds).toBe(3600);
  });

  it('refuses a value that is not a whole number of seconds, naming the variable', () => {
    expect(() => parseConfig({ ...REQUIRED, HALLPASS_MAX_TOKEN_AGE_SECONDS: '1.5h' })).toThrow(
      /HALLPASS_MAX_TOKEN_AGE_SECONDS/,
    );
  });

  it('refuses a maximum under five minutes', () => {
    expect(() => parseConfig({ ...REQUIRED, HALLPASS_MAX_TOKEN_AGE_SECONDS: '10' })).toThrow(ConfigError);
  });
});
