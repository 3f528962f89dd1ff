/**
 * The authenticator's prefetch (lib/deps.ts builds it with `prefetch: true` at container init): the
 * discovery and JWKS fetches start at construction, the first request uses that fetch rather than
 * making another, a failed prefetch rejects nothing unhandled and counts as the first request's fetch
 * (503 without asking again within the cooldown, a new fetch after it), and a rotated key is picked up.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthSettings, createAuthenticator } from '../../../lib/adapters/auth.ts';
import { UpstreamUnavailableError } from '../../../lib/errors.ts';
import {
  type KeyServer,
  newSigningKey,
  type SigningKey,
  signJws,
  startKeyServer,
} from '../../support/jwt.ts';

let ks: KeyServer;
let first: SigningKey;
let rotated: SigningKey;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  first = await newSigningKey('prefetch-1');
  rotated = await newSigningKey('prefetch-2');
  ks = await startKeyServer([first.publicJwk]);
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await ks.close();
});
afterEach(() => {
  vi.restoreAllMocks();
  ks.setMode('ok');
  ks.setKeys([first.publicJwk]);
  ks.requests.length = 0;
});

const settings = (overrides: Partial<AuthSettings> = {}): AuthSettings => ({
  issuer: ks.issuer,
  audience: 'hallpass',
  jwksUri: undefined, // discovery, so that both round trips are prefetched
  algorithms: ['RS256'],
  claims: { principal: 'sub', name: ['name'], groups: 'groups' },
  ...overrides,
});

const token = (key: SigningKey, sub = 'alice') => {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: ks.issuer, aud: 'hallpass', sub, iat: now, exp: now + 600 };
  return `Bearer ${signJws({ alg: 'RS256', kid: key.kid, typ: 'JWT' }, payload, key)}`;
};

/** Moves Date.now (the JWKS cooldown's) forward by `ms`. */
const advanceClock = (ms: number) => {
  const now = Date.now() + ms;
  vi.spyOn(Date, 'now').mockReturnValue(now);
};

describe('authenticator prefetch', () => {
  it('fetches discovery and the JWKS at construction, before any request', async () => {
    createAuthenticator(settings(), undefined, { prefetch: true });
    await vi.waitFor(() => expect(ks.jwksHits()).toBe(1));
    expect(ks.discoveryHits()).toBe(1);
  });

  it('fetches nothing at construction without prefetch', async () => {
    createAuthenticator(settings());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ks.requests).toHaveLength(0);
  });

  it('the first request uses the prefetched keys: no extra fetch, whether the prefetch is done or in flight', async () => {
    const settled = createAuthenticator(settings(), undefined, { prefetch: true });
    await vi.waitFor(() => expect(ks.jwksHits()).toBe(1));
    await expect(settled(token(first))).resolves.toMatchObject({ sub: 'alice' });
    await expect(settled(token(first, 'bob'))).resolves.toMatchObject({ sub: 'bob' });
    expect([ks.discoveryHits(), ks.jwksHits()]).toEqual([1, 1]);

    ks.requests.length = 0;
    const inFlight = createAuthenticator(settings(), undefined, { prefetch: true });
    await expect(inFlight(token(first))).resolves.toMatchObject({ sub: 'alice' });
    expect([ks.discoveryHits(), ks.jwksHits()]).toEqual([1, 1]);
  });

  it('a failed prefetch rejects nothing unhandled and counts as the first fetch: 503 within the cooldown, then recovers', async () => {
    ks.setMode('error');
    const authenticate = createAuthenticator(settings(), undefined, { prefetch: true });
    await vi.waitFor(() => expect(ks.discoveryHits()).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    ks.setMode('ok');
    // Fails closed, without a second fetch inside the cooldown.
    await expect(authenticate(token(first))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(ks.discoveryHits()).toBe(1);
    advanceClock(31_000);
    await expect(authenticate(token(first))).resolves.toMatchObject({ sub: 'alice' });
    expect([ks.discoveryHits(), ks.jwksHits()]).toEqual([2, 1]);
    expect(unhandled).toEqual([]);
  });

  it('a failed prefetch of the JWKS (discovery skipped) is not kept beyond the cooldown either', async () => {
    ks.setMode('error');
    const authenticate = createAuthenticator(settings({ jwksUri: ks.jwksUri }), undefined, {
      prefetch: true,
    });
    await vi.waitFor(() => expect(ks.jwksHits()).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    ks.setMode('ok');
    await expect(authenticate(token(first))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(ks.jwksHits()).toBe(1);
    advanceClock(31_000);
    await expect(authenticate(token(first))).resolves.toMatchObject({ sub: 'alice' });
    expect(ks.jwksHits()).toBe(2);
    expect(unhandled).toEqual([]);
  });

  it('picks up a rotated key after the prefetch (one more JWKS fetch, after the cooldown)', async () => {
    const authenticate = createAuthenticator(settings(), undefined, { prefetch: true });
    await vi.waitFor(() => expect(ks.jwksHits()).toBe(1));
    await expect(authenticate(token(first))).resolves.toMatchObject({ sub: 'alice' });
    ks.setKeys([first.publicJwk, rotated.publicJwk]);
    advanceClock(31_000);
    await expect(authenticate(token(rotated, 'carol'))).resolves.toMatchObject({ sub: 'carol' });
    expect(ks.jwksHits()).toBe(2);
  });
});

describe('writing a fetched key set back to the store', () => {
  it('holds up only the request that fetched it: those that shared the fetch go on without waiting for the write', async () => {
    let release: () => void = () => undefined;
    const written: number[] = [];
    const store = {
      read: async () => undefined,
      write: (stored: { fetchedAt: number }) =>
        new Promise<boolean>((resolve) => {
          release = () => {
            written.push(stored.fetchedAt);
            resolve(true);
          };
        }),
    };
    const auth = createAuthenticator(settings(), undefined, { store });
    const fetching = auth(token(first, 'alice'));
    const sharing = Promise.all(['bob', 'carol', 'dave'].map((sub) => auth(token(first, sub))));
    // A hang guard, not a measure: the sharers answer while the write is still held.
    const outcome = await Promise.race([
      sharing.then((principals) => principals.map((p) => p.sub)),
      new Promise((resolve) => setTimeout(() => resolve('waited for the write'), 5000)),
    ]);
    expect(outcome).toEqual(['bob', 'carol', 'dave']);
    expect(written).toEqual([]);
    release();
    expect((await fetching).sub).toBe('alice');
    expect(written).toHaveLength(1);
    expect(ks.requests.filter((r) => r.path.endsWith('jwks.json'))).toHaveLength(1);
  });
});
