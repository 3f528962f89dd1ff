/**
 * Several issuers and the JWKS store (issues 15 and 17): each issuer's key set is its own item in the
 * requests table (keyed by the issuer), written after its own fetch and read back by the next cold
 * start for that issuer only; one issuer's stored keys never verify the other's tokens.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AuthSettings, createAuthenticator } from '../../lib/adapters/auth.ts';
import { createJwksStore, type JwksStore, jwksItemId } from '../../lib/adapters/jwks-store.ts';
import { UnauthenticatedError } from '../../lib/errors.ts';
import { type KeyServer, newSigningKey, type SigningKey, signJws, startKeyServer } from '../support/jwt.ts';
import { dynamodb, useIsolatedTables } from '../support/tables.ts';

interface Issuer {
  ks: KeyServer;
  key: SigningKey;
}
let people: Issuer;
let workload: Issuer;
let tableName: string;
let store: JwksStore;

beforeAll(async () => {
  ({ requests: tableName } = await useIsolatedTables());
  store = createJwksStore({ client: dynamodb(), tableName });
  const peopleKey = await newSigningKey('shared-kid');
  const workloadKey = await newSigningKey('shared-kid');
  people = { ks: await startKeyServer([peopleKey.publicJwk]), key: peopleKey };
  workload = { ks: await startKeyServer([workloadKey.publicJwk]), key: workloadKey };
});
afterAll(() => Promise.all([people.ks.close(), workload.ks.close()]));
afterEach(async () => {
  for (const issuer of [people, workload]) {
    issuer.ks.requests.length = 0;
    await dynamodb().send(
      new DeleteItemCommand({ TableName: tableName, Key: { id: { S: jwksItemId(issuer.ks.issuer) } } }),
    );
  }
});

const settings = (): AuthSettings[] => [
  {
    issuer: people.ks.issuer,
    audience: 'hallpass',
    jwksUri: people.ks.jwksUri,
    algorithms: ['RS256'],
    claims: { principal: 'sub', name: ['name'], groups: 'groups' },
  },
  {
    name: 'github',
    issuer: workload.ks.issuer,
    audience: 'hallpass',
    jwksUri: workload.ks.jwksUri,
    algorithms: ['RS256'],
    claims: { principal: 'sub', name: ['name'], groups: 'groups' },
  },
];
const coldStart = () => createAuthenticator(settings(), undefined, { store });
const token = (iss: Issuer, key = iss.key, sub = 'alice') => {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: iss.ks.issuer, aud: 'hallpass', sub, iat: now, exp: now + 600 };
  return `Bearer ${signJws({ alg: 'RS256', kid: key.kid, typ: 'JWT' }, payload, key)}`;
};
const storedKeys = async (issuer: Issuer) =>
  (await store.read({ issuer: issuer.ks.issuer, jwksUri: issuer.ks.jwksUri, maxAgeMs: 600_000 }))?.jwks.keys;

describe('the JWKS store with several issuers', () => {
  it("writes each issuer's key set to its own item, after its own fetch", async () => {
    const authenticate = coldStart();
    expect((await authenticate(token(people))).sub).toBe('alice');
    expect(await storedKeys(workload)).toBeUndefined();
    expect((await authenticate(token(workload))).sub).toBe('github:alice');
    expect(await storedKeys(people)).toEqual([people.key.publicJwk]);
    expect(await storedKeys(workload)).toEqual([workload.key.publicJwk]);
  });

  it('a cold start reads each stored set and asks neither issuer', async () => {
    const warm = coldStart();
    await warm(token(people));
    await warm(token(workload));
    people.ks.requests.length = 0;
    workload.ks.requests.length = 0;

    const authenticate = coldStart();
    expect((await authenticate(token(people))).issuer).toBe('primary');
    expect((await authenticate(token(workload))).issuer).toBe('github');
    expect(people.ks.requests).toEqual([]);
    expect(workload.ks.requests).toEqual([]);
  });

  it("never verifies one issuer's token with the other's stored keys", async () => {
    const warm = coldStart();
    await warm(token(people));
    await warm(token(workload));

    const authenticate = coldStart();
    await expect(authenticate(token(workload, people.key))).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(authenticate(token(people, workload.key))).rejects.toMatchObject({ reason: 'signature' });
  });
});
