/**
 * Issue 15: the authenticator keeps the tokens it has verified (by SHA-256 of the token, until exp,
 * at most VERIFIED_TOKEN_CACHE_SIZE), so that a CLI's token is verified once, not on every vend.
 * jose's jwtVerify is wrapped to count the verifications.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createAuthenticator,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
  VERIFIED_TOKEN_CACHE_SIZE,
  verifiedTokens,
} from '../../../lib/adapters/auth.ts';
import type { Principal } from '../../../lib/core/principal.ts';
import { UnauthenticatedError, UpstreamUnavailableError } from '../../../lib/errors.ts';
import {
  type KeyServer,
  newSigningKey,
  type SigningKey,
  signJws,
  startKeyServer,
  useTestIssuer,
} from '../../support/jwt.ts';

const verifications = vi.hoisted(() => ({ count: 0 }));
vi.mock('jose', async (importOriginal) => {
  const jose = await importOriginal<typeof import('jose')>();
  return {
    ...jose,
    jwtVerify: (...args: Parameters<typeof jose.jwtVerify>) => {
      verifications.count++;
      return jose.jwtVerify(...args);
    },
  };
});

const { authenticate, token } = useTestIssuer('cache-1', 'alice');
const now = () => Math.floor(Date.now() / 1000);

afterEach(() => {
  vi.useRealTimers();
});

/** Verifications `work` makes. */
async function counted(work: () => Promise<unknown>): Promise<number> {
  const before = verifications.count;
  await work();
  return verifications.count - before;
}

/**
 * An authenticator of an issuer the test controls (its key server: keys, failures), and tokens for
 * alice signed with a key of the test's, living `lifetime` seconds.
 */
function ownIssuer(ks: KeyServer) {
  const auth = createAuthenticator({
    issuer: ks.issuer,
    audience: 'hallpass',
    jwksUri: ks.jwksUri,
    algorithms: ['RS256'],
    claims: { principal: 'sub', name: [], groups: 'groups' },
  });
  const signed = (key: SigningKey, lifetime = 600) =>
    `Bearer ${signJws({ alg: 'RS256', kid: key.kid }, { iss: ks.issuer, aud: 'hallpass', sub: 'alice', iat: now(), exp: now() + lifetime }, key)}`;
  return { auth, signed };
}

describe('the verified-token cache', () => {
  it('accepts a token it has verified without verifying it again', async () => {
    const auth = authenticate();
    const bearer = token();

    expect(await counted(() => auth(bearer))).toBe(1);
    let principal: Principal | undefined;
    expect(
      await counted(async () => {
        principal = await auth(bearer);
        await auth(bearer);
      }),
    ).toBe(0);
    expect(principal?.sub).toBe('alice');
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('stops answering at exp, and the token is refused once jose refuses it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const auth = authenticate();
    const exp = now() + 600;
    const bearer = token({ exp });
    await auth(bearer);

    vi.setSystemTime(exp * 1000 + 1000);
    // Past exp but inside jose's 60 s tolerance: verified again (and accepted, as without a cache).
    expect(await counted(() => auth(bearer))).toBe(1);
    vi.setSystemTime((exp + 61) * 1000);
    await expect(auth(bearer)).rejects.toThrow(UnauthenticatedError);
  });

  it('ends an entry at the configured maximum age after verification', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const auth = authenticate({ maxTokenAgeSeconds: 300 });
    const bearer = token({ iat: undefined, exp: now() + 350 });
    await auth(bearer);

    vi.setSystemTime(Date.now() + 301_000);
    expect(await counted(() => auth(bearer))).toBe(1);
  });

  it('verifies again when the clock has gone back before the verification', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const auth = authenticate();
    const bearer = token();
    await auth(bearer);

    vi.setSystemTime(Date.now() - 5000);
    expect(await counted(() => auth(bearer))).toBe(1);
  });

  it('does not take a token with one character changed for a cached one', async () => {
    const auth = authenticate();
    const bearer = token();
    await auth(bearer);
    const at = bearer.lastIndexOf('.') + 10;
    const changed = bearer.slice(0, at) + (bearer[at] === 'A' ? 'B' : 'A') + bearer.slice(at + 1);

    const refused = auth(changed);
    await expect(refused).rejects.toThrow(UnauthenticatedError);
    expect(await counted(() => auth(changed).catch(() => undefined))).toBe(1);
  });

  it('still refuses two Authorization headers or another scheme around a cached token', async () => {
    const auth = authenticate();
    const bearer = token();
    await auth(bearer);
    const jws = bearer.slice('Bearer '.length);

    await expect(auth(`${bearer}, ${bearer}`)).rejects.toThrow(UnauthenticatedError);
    await expect(auth(`Token ${jws}`)).rejects.toThrow(UnauthenticatedError);
    await expect(auth(jws)).rejects.toThrow(UnauthenticatedError);
  });

  it('never caches a refused token', async () => {
    const auth = authenticate();
    const wrongAudience = token({ aud: 'someone-else' });
    const noSubject = token({ sub: undefined });

    for (const bearer of [wrongAudience, noSubject]) {
      expect(await counted(() => expect(auth(bearer)).rejects.toThrow(UnauthenticatedError))).toBe(1);
      expect(await counted(() => expect(auth(bearer)).rejects.toThrow(UnauthenticatedError))).toBe(1);
    }
  });

  it('never caches a 503', async () => {
    const auth = authenticate({ jwksUri: 'http://127.0.0.1:9/jwks.json' });
    const bearer = token();

    await expect(auth(bearer)).rejects.toThrow(UpstreamUnavailableError);
    expect(await counted(() => expect(auth(bearer)).rejects.toThrow(UpstreamUnavailableError))).toBe(1);
  });

  it("stops answering for a token once the issuer's JWKS no longer has its key", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const [old, next] = [await newSigningKey('old'), await newSigningKey('next')];
    const ks = await startKeyServer([old.publicJwk]);
    try {
      const { auth, signed } = ownIssuer(ks);
      const oldToken = signed(old);
      await auth(oldToken);
      expect(await counted(() => auth(oldToken))).toBe(0);

      // The issuer withdraws `old`; a token signed with `next` makes hallpass refetch (after the cooldown).
      ks.setKeys([next.publicJwk]);
      vi.setSystemTime(Date.now() + 31_000);
      await auth(signed(next));
      expect(ks.jwksHits()).toBe(2);

      await expect(auth(oldToken)).rejects.toThrow(UnauthenticatedError);
    } finally {
      await ks.close();
    }
  });

  it('refuses a cached token within 10 minutes of its key being withdrawn, with no other token to refetch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const [old, next] = [await newSigningKey('old'), await newSigningKey('next')];
    const ks = await startKeyServer([old.publicJwk]);
    try {
      const { auth, signed } = ownIssuer(ks);
      // A CLI's one token, lasting an hour: after its first vend, nothing but cache hits.
      const cli = signed(old, 3600);
      await auth(cli);
      vi.setSystemTime(Date.now() + 9 * 60_000);
      expect(await counted(() => auth(cli))).toBe(0);
      expect(ks.jwksHits()).toBe(1);

      ks.setKeys([next.publicJwk]);
      vi.setSystemTime(Date.now() + 2 * 60_000);
      await expect(auth(cli)).rejects.toThrow(UnauthenticatedError);
      expect(ks.jwksHits()).toBe(2);
    } finally {
      await ks.close();
    }
  });

  it('verifies a cached token again once its key set is 10 minutes old: kept while published, 503 while the issuer is down', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const key = await newSigningKey('steady');
    const ks = await startKeyServer([key.publicJwk]);
    try {
      const { auth, signed } = ownIssuer(ks);
      const cli = signed(key, 3600);
      await auth(cli);
      vi.setSystemTime(Date.now() + 11 * 60_000);
      expect(await counted(() => auth(cli))).toBe(1);
      expect(ks.jwksHits()).toBe(2);
      expect(await counted(() => auth(cli))).toBe(0);

      ks.setMode('error');
      vi.setSystemTime(Date.now() + 11 * 60_000);
      await expect(auth(cli)).rejects.toThrow(UpstreamUnavailableError);
    } finally {
      await ks.close();
    }
  });

  it(`holds at most ${VERIFIED_TOKEN_CACHE_SIZE} tokens, the least recently used leaving first`, async () => {
    const auth = authenticate();
    const tokens = Array.from({ length: VERIFIED_TOKEN_CACHE_SIZE + 1 }, (_, i) => token({ jti: `t${i}` }));
    for (const bearer of tokens) await auth(bearer);

    // The first was evicted by the last; the second is still there.
    expect(await counted(() => auth(tokens[1] as string))).toBe(0);
    expect(await counted(() => auth(tokens[0] as string))).toBe(1);
  }, 30_000);

  it('evicts in least-recently-used order and stores only a hash of the token', () => {
    const cache = verifiedTokens(2, DEFAULT_MAX_TOKEN_AGE_SECONDS);
    const principal = (sub: string): Principal => ({ sub, name: sub, groups: [], claims: {} });
    const t = now();
    const published = () => true;
    const [a, b, c] = ['token-a', 'token-b', 'token-c'].map(cache.keyOf) as [string, string, string];
    expect(a).not.toContain('token-a');
    expect(a).toHaveLength(44); // base64 of 32 bytes

    cache.remember(a, principal('a'), 'k', t + 600, t);
    cache.remember(b, principal('b'), 'k', t + 600, t);
    expect(cache.recall(a, t, published)?.sub).toBe('a'); // a is now the most recently used
    cache.remember(c, principal('c'), 'k', t + 600, t);

    expect(cache.size).toBe(2);
    expect(cache.recall(b, t, published)).toBeUndefined();
    expect(cache.recall(a, t, published)?.sub).toBe('a');
    expect(cache.recall(c, t + 600, published)).toBeUndefined(); // now >= exp
    expect(cache.recall(a, t, () => false)).toBeUndefined(); // its key withdrawn
  });
});
