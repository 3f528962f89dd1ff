/**
 * Issue 15: the issuer's JWKS kept in the requests table (lib/adapters/jwks-store.ts), against
 * dynalite and an issuer this file controls. A cold start reads the stored set (one GetItem) and asks
 * the issuer nothing while the set is fresh; a stale, foreign or unreadable one sends it to the
 * issuer; an unknown kid is fetched (with the 30 s cooldown) and written back; neither store nor
 * issuer is 503, never a pass.
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthSettings, createAuthenticator, JWKS_MAX_AGE_MS } from '../../lib/adapters/auth.ts';
import {
  createJwksStore,
  type JwksStore,
  jwksItemId,
  publicKeys,
  type StoredJwks,
} from '../../lib/adapters/jwks-store.ts';
import { UnauthenticatedError, UpstreamUnavailableError } from '../../lib/errors.ts';
import { refreshIssuerKeys } from '../../lib/use-cases/refresh-issuer-keys.ts';
import { type KeyServer, newSigningKey, type SigningKey, signJws, startKeyServer } from '../support/jwt.ts';
import { dynamodb, useIsolatedTables } from '../support/tables.ts';

let ks: KeyServer;
let first: SigningKey;
let rotated: SigningKey;
let tableName: string;
let store: JwksStore;

beforeAll(async () => {
  ({ requests: tableName } = await useIsolatedTables());
  store = createJwksStore({ client: dynamodb(), tableName });
  first = await newSigningKey('store-1');
  rotated = await newSigningKey('store-2');
  ks = await startKeyServer([first.publicJwk]);
});
afterAll(() => ks.close());
afterEach(async () => {
  vi.restoreAllMocks();
  ks.setMode('ok');
  ks.setKeys([first.publicJwk]);
  ks.requests.length = 0;
  await dynamodb().send(
    new DeleteItemCommand({ TableName: tableName, Key: { id: { S: jwksItemId(ks.issuer) } } }),
  );
});

const settings = (): AuthSettings => ({
  issuer: ks.issuer,
  audience: 'hallpass',
  jwksUri: undefined,
  algorithms: ['RS256'],
  claims: { principal: 'sub', name: ['name'], groups: 'groups' },
});
/** A container's authenticator, built as lib/deps.ts builds it with HALLPASS_JWKS_STORE on. */
const coldStart = (using: JwksStore = store) =>
  createAuthenticator(settings(), undefined, { prefetch: true, store: using });

const token = (key: SigningKey, sub = 'alice') => {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: ks.issuer, aud: 'hallpass', sub, iat: now, exp: now + 600 };
  return `Bearer ${signJws({ alg: 'RS256', kid: key.kid, typ: 'JWT' }, payload, key)}`;
};
const stored = async () =>
  store.read({ issuer: ks.issuer, jwksUri: undefined, maxAgeMs: Number.POSITIVE_INFINITY });
const seed = (keys: SigningKey[], ageMs: number) =>
  store.write({
    issuer: ks.issuer,
    jwksUri: ks.jwksUri,
    fetchedAt: Date.now() - ageMs,
    jwks: { keys: keys.map((k) => ({ ...k.publicJwk })) },
  });
const advanceClock = (ms: number) => {
  const now = Date.now() + ms;
  vi.spyOn(Date, 'now').mockReturnValue(now);
};

describe('a cold start with the JWKS kept in the requests table', () => {
  it('is served from the stored set while it is fresh: the issuer, down, is not asked', async () => {
    // The scheduled refresh (functions/jwks-refresh.ts) stores what the issuer publishes.
    const refreshed = await refreshIssuerKeys({
      config: { issuers: [{ name: 'primary', ...settings() }] },
      requests: { client: dynamodb(), tableName },
    });
    expect(refreshed).toEqual([
      { name: 'primary', issuer: ks.issuer, ok: true, keys: 1, stored: true, jwksUri: ks.jwksUri },
    ]);
    ks.setMode('error');
    ks.requests.length = 0;

    const authenticate = coldStart();
    await expect(authenticate(token(first))).resolves.toMatchObject({ sub: 'alice' });
    await expect(authenticate(token(first, 'bob'))).resolves.toMatchObject({ sub: 'bob' });
    expect(ks.requests).toEqual([]);
  });

  it('does not use a stored set older than the maximum age: the issuer is asked, and the store refreshed', async () => {
    await seed([first], JWKS_MAX_AGE_MS + 1000);
    const before = (await stored())?.fetchedAt ?? 0;
    ks.setMode('error');
    await expect(coldStart()(token(first))).rejects.toBeInstanceOf(UpstreamUnavailableError);

    ks.setMode('ok');
    const authenticate = coldStart();
    await expect(authenticate(token(first))).resolves.toMatchObject({ sub: 'alice' });
    expect([ks.discoveryHits(), ks.jwksHits()]).toEqual([2, 1]);
    await vi.waitFor(async () => expect((await stored())?.fetchedAt).toBeGreaterThan(before));
  });

  it('fetches an unknown kid from the issuer (after the cooldown) and writes the set back for the next containers', async () => {
    await seed([first], 60_000);
    ks.setKeys([first.publicJwk, rotated.publicJwk]);
    const authenticate = coldStart();
    await expect(authenticate(token(rotated, 'carol'))).resolves.toMatchObject({ sub: 'carol' });
    expect(ks.jwksHits()).toBe(1);
    expect((await stored())?.jwks.keys.map((k) => k.kid)).toEqual(['store-1', 'store-2']);

    // The next container has the rotated key without asking the (now unreachable) issuer.
    ks.setMode('error');
    ks.requests.length = 0;
    await expect(coldStart()(token(rotated, 'dave'))).resolves.toMatchObject({ sub: 'dave' });
    expect(ks.requests).toEqual([]);
  });

  it('keeps the cooldown for an unknown kid on a set the store holds: one that was fetched just now is not refetched', async () => {
    await seed([first], 1000);
    ks.setKeys([first.publicJwk, rotated.publicJwk]);
    const authenticate = coldStart();
    await expect(authenticate(token(rotated))).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(ks.requests).toEqual([]);
    advanceClock(31_000);
    await expect(authenticate(token(rotated))).resolves.toMatchObject({ sub: 'alice' });
    expect(ks.jwksHits()).toBe(1);
  });

  it('an unknown kid with a fresh stored set and the issuer down is 503, never a pass', async () => {
    await seed([first], 60_000);
    ks.setMode('error');
    const authenticate = coldStart();
    await expect(authenticate(token(first))).resolves.toMatchObject({ sub: 'alice' });
    await expect(authenticate(token(rotated))).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('ends the verified-token cache hits of a key the issuer withdrew once a refetch drops it', async () => {
    await seed([first], 60_000);
    const authenticate = coldStart();
    const old = token(first);
    await expect(authenticate(old)).resolves.toMatchObject({ sub: 'alice' });
    ks.setKeys([rotated.publicJwk]);
    await expect(authenticate(token(rotated, 'erin'))).resolves.toMatchObject({ sub: 'erin' });
    await expect(authenticate(old)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect((await stored())?.jwks.keys.map((k) => k.kid)).toEqual(['store-2']);
  });

  it('falls back to the issuer when the store cannot be read', async () => {
    const missing = createJwksStore({ client: dynamodb(), tableName: `${tableName}-missing` });
    await expect(coldStart(missing)(token(first))).resolves.toMatchObject({ sub: 'alice' });
    expect(ks.jwksHits()).toBe(1);
  });

  it('is 503 when neither the store nor the issuer gives keys', async () => {
    ks.setMode('error');
    const authenticate = coldStart();
    await expect(authenticate(token(first))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    const missing = createJwksStore({ client: dynamodb(), tableName: `${tableName}-missing` });
    await expect(coldStart(missing)(token(first))).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe('what the store keeps and gives', () => {
  const set = (overrides: Partial<StoredJwks> = {}): StoredJwks => ({
    issuer: 'https://issuer.example.com',
    jwksUri: 'https://issuer.example.com/keys',
    fetchedAt: Date.now(),
    jwks: { keys: [{ ...first.publicJwk }] },
    ...overrides,
  });
  const readBack = (issuer = 'https://issuer.example.com', jwksUri?: string) =>
    store.read({ issuer, jwksUri, maxAgeMs: JWKS_MAX_AGE_MS });

  it('never stores a set fetched over cleartext from a non-loopback host', async () => {
    expect(await store.write(set({ jwksUri: 'http://issuer.example.com/keys' }))).toBe(false);
    expect(await store.write(set({ issuer: 'http://issuer.example.com' }))).toBe(false);
    expect(await readBack()).toBeUndefined();
  });

  it('keeps only public asymmetric keys: private members and symmetric keys are dropped', () => {
    const jwks = publicKeys({
      keys: [
        { ...first.publicJwk },
        { ...first.publicJwk, kid: 'with-d', d: 'secret' },
        { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
      ],
    });
    expect(jwks?.keys.map((k) => k.kid)).toEqual(['store-1']);
    expect(publicKeys({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).toBeUndefined();
    expect(publicKeys({ keys: 'none' })).toBeUndefined();
  });

  it('gives nothing for another issuer, another configured JWKS URI, a future or a stale fetchedAt', async () => {
    await store.write(set());
    expect(await readBack()).toMatchObject({ jwksUri: 'https://issuer.example.com/keys' });
    expect(await readBack('https://issuer.example.com', 'https://issuer.example.com/other')).toBeUndefined();
    // The item of one issuer, rewritten to name another: refused.
    await dynamodb().send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          id: { S: jwksItemId('https://issuer.example.com') },
          issuer: { S: 'https://attacker.example.com' },
          jwksUri: { S: 'https://attacker.example.com/keys' },
          fetchedAt: { N: String(Date.now()) },
          jwks: { S: JSON.stringify({ keys: [first.publicJwk] }) },
        },
      }),
    );
    expect(await readBack()).toBeUndefined();
    await store.write(set({ fetchedAt: Date.now() + 3_600_000 }));
    expect(await readBack()).toBeUndefined();
    await dynamodb().send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { id: { S: jwksItemId('https://issuer.example.com') } },
      }),
    );
    await store.write(set({ fetchedAt: Date.now() - JWKS_MAX_AGE_MS - 1 }));
    expect(await readBack()).toBeUndefined();
  });

  it('replaces a set dated in the future (a planted one no refresh could otherwise replace), never using it', async () => {
    await dynamodb().send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          id: { S: jwksItemId('https://issuer.example.com') },
          issuer: { S: 'https://issuer.example.com' },
          jwksUri: { S: 'https://issuer.example.com/keys' },
          fetchedAt: { N: String(Date.now() + 30_000) },
          jwks: { S: JSON.stringify({ keys: [{ ...rotated.publicJwk }] }) },
        },
      }),
    );
    expect(await readBack()).toBeUndefined();
    await store.write(set({ fetchedAt: Date.now() }));
    expect((await readBack())?.jwks.keys.map((k) => k.kid)).not.toContain('store-2');
  });

  it('never replaces a newer set with an older one', async () => {
    const now = Date.now();
    await dynamodb().send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { id: { S: jwksItemId('https://issuer.example.com') } },
      }),
    );
    await store.write(set({ fetchedAt: now, jwks: { keys: [{ ...rotated.publicJwk }] } }));
    await store.write(set({ fetchedAt: now - 5000 }));
    expect((await readBack())?.jwks.keys.map((k) => k.kid)).toEqual(['store-2']);
  });
});
