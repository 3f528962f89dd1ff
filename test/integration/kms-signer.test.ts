/**
 * The JWT signer through the real KMS client, against the local KMS on the JSON protocol: what it
 * signs verifies with jose against what it publishes, across a key rotation.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwtSigner } from '../../lib/adapters/kms.ts';
import { UpstreamUnavailableError } from '../../lib/errors.ts';
import { SIGNING_ALIAS, startLocalKms } from '../../local/kms/server.ts';

const CALLER = {
  accessKeyId: 'ASIAHALLPASSKMSTEST1',
  secretAccessKey: 'kms-signer-test-secret-not-real',
  sessionToken: 'kms-signer-test-session-token-not-real',
};
const CLAIMS = { iss: 'https://hallpass.example', sub: 'alice', aud: 'sts.amazonaws.com', exp: 4102444800 };

const kms = await startLocalKms({ port: 0, callers: [CALLER], keyCount: 3 });
afterAll(() => kms.close());
const [CURRENT = '', NEXT = '', RETIRED = ''] = kms.keyArns;

// The endpoint by the SDK's own convention, as a deployment (or the local stack) sets it.
process.env.AWS_ENDPOINT_URL_KMS = kms.url;
const client = new KMSClient({ region: 'us-east-1', credentials: CALLER, maxAttempts: 1 });

const verify = async (token: string, jwks: Parameters<typeof createLocalJWKSet>[0]) =>
  (await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['RS256'] })).payload;

describe('the KMS JWT signer against the local KMS', () => {
  it('signs a token that verifies against its JWKS, with the signing key first', async () => {
    const signer = createJwtSigner(client, { signingKeyId: CURRENT, publishedKeyIds: [] });

    const token = await signer.sign(CLAIMS);
    const jwks = await signer.jwks();

    expect(await verify(token, jwks)).toEqual(CLAIMS);
    expect(jwks.keys).toHaveLength(1);
    expect(decodeProtectedHeader(token).kid).toBe(jwks.keys[0]?.kid);
  });

  it('signs through the alias as through the key ARN', async () => {
    const byAlias = createJwtSigner(client, { signingKeyId: SIGNING_ALIAS, publishedKeyIds: [] });
    const byArn = createJwtSigner(client, { signingKeyId: CURRENT, publishedKeyIds: [] });

    const token = await byAlias.sign(CLAIMS);

    expect(await verify(token, await byArn.jwks())).toEqual(CLAIMS);
  });

  it('rotates without an outage: while both keys are published, tokens of either verify', async () => {
    // Before the switch the current key signs and the next one is already published; after it, the
    // next one signs and the old one stays published until the tokens it signed have expired.
    const before = createJwtSigner(client, { signingKeyId: CURRENT, publishedKeyIds: [NEXT] });
    const after = createJwtSigner(client, { signingKeyId: NEXT, publishedKeyIds: [CURRENT] });

    const oldToken = await before.sign(CLAIMS);
    const newToken = await after.sign(CLAIMS);

    for (const jwks of [await before.jwks(), await after.jwks()]) {
      expect(jwks.keys).toHaveLength(2);
      expect(await verify(oldToken, jwks)).toEqual(CLAIMS);
      expect(await verify(newToken, jwks)).toEqual(CLAIMS);
    }
    expect(decodeProtectedHeader(oldToken).kid).not.toBe(decodeProtectedHeader(newToken).kid);
  });

  it('does not verify a token once its key is no longer published', async () => {
    const retiring = createJwtSigner(client, { signingKeyId: RETIRED, publishedKeyIds: [] });
    const current = createJwtSigner(client, { signingKeyId: CURRENT, publishedKeyIds: [] });

    const token = await retiring.sign(CLAIMS);

    await expect(verify(token, await current.jwks())).rejects.toThrow();
  });

  it('fails closed when a published key is disabled, naming it', async () => {
    const signer = createJwtSigner(client, { signingKeyId: CURRENT, publishedKeyIds: [RETIRED] });
    kms.disableKey(RETIRED);

    const refusal = await signer.jwks().catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(UpstreamUnavailableError);
    expect((refusal as Error).message).toContain(`refused key ${RETIRED} (DisabledException)`);
  });

  it('refuses to sign with a key KMS does not hold, naming it', async () => {
    const missing = CURRENT.replace(/key\/.*/, 'key/00000000-0000-4000-8000-000000000000');
    const signer = createJwtSigner(client, { signingKeyId: missing, publishedKeyIds: [] });

    const refusal = await signer.sign(CLAIMS).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(UpstreamUnavailableError);
    expect((refusal as Error).message).toContain(`refused key ${missing} (NotFoundException)`);
  });
});
