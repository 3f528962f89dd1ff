import {
  constants,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  privateEncrypt,
} from 'node:crypto';
import {
  DisabledException,
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  KMSClient,
  KMSInternalException,
  NotFoundException,
  SignCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { createJwtSigner, type SigningKeys } from '../../lib/adapters/kms.ts';
import { UpstreamUnavailableError } from '../../lib/errors.ts';

const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'us-east-1' });

const arn = (id: string) => `arn:aws:kms:eu-west-1:111111111111:key/${id}`;
const CURRENT = arn('11111111-1111-4111-8111-111111111111');
const NEXT = arn('22222222-2222-4222-8222-222222222222');
const ALIAS = 'alias/hallpass-signing';
const KEYS: SigningKeys = { signingKeyId: CURRENT, publishedKeyIds: [NEXT] };
const CLAIMS = {
  iss: 'https://hallpass.example',
  sub: 'alice',
  aud: 'sts.amazonaws.com',
  secret: 'do-not-log-me',
};

// Real RSA keys behind the mocked KMS, so that what it signs verifies independently.
const privateKeys = new Map<string, KeyObject>([
  [CURRENT, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
  [NEXT, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
]);
const der = (keyArn: string) =>
  new Uint8Array(
    createPublicKey(privateKeys.get(keyArn) as KeyObject).export({ format: 'der', type: 'spki' }),
  );
const thumbprint = (keyArn: string) =>
  calculateJwkThumbprint(
    createPublicKey(privateKeys.get(keyArn) as KeyObject).export({ format: 'jwk' }) as never,
  );

function publicKeyAnswer(keyArn: string): GetPublicKeyCommandOutput {
  return {
    $metadata: {},
    KeyId: keyArn,
    PublicKey: der(keyArn),
    KeySpec: 'RSA_2048',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256'],
  };
}

// RSASSA-PKCS1-v1_5 over the digest the adapter sent: DigestInfo(sha256) || digest, padded, raised.
function kmsSign(keyArn: string, input: SignCommandInput) {
  const digestInfo = Buffer.from('3031300d060960864801650304020105000420', 'hex');
  const signature = privateEncrypt(
    { key: privateKeys.get(keyArn) as KeyObject, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([digestInfo, Buffer.from(input.Message ?? [])]),
  );
  return {
    $metadata: {},
    KeyId: keyArn,
    Signature: new Uint8Array(signature),
    SigningAlgorithm: input.SigningAlgorithm,
  };
}

const kmsError = <T>(Type: new (options: { message: string; $metadata: object }) => T) =>
  new Type({ message: 'refused', $metadata: {} });
// Not in KMS's model: the SDK throws it as a plain error with the wire code as its name.
const accessDenied = () =>
  Object.assign(new Error('User is not authorized to perform: kms:Sign'), { name: 'AccessDeniedException' });

async function failureOf(call: Promise<unknown>): Promise<UpstreamUnavailableError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UpstreamUnavailableError);
  return error as UpstreamUnavailableError;
}

beforeEach(() => {
  kms.reset();
  for (const keyArn of [CURRENT, NEXT]) {
    kms.on(GetPublicKeyCommand, { KeyId: keyArn }).resolves(publicKeyAnswer(keyArn));
  }
  kms.on(SignCommand).callsFake((input: SignCommandInput) => kmsSign(input.KeyId ?? '', input));
});

describe('sign', () => {
  it('has KMS sign the SHA-256 digest of header.payload, never the claims', async () => {
    const token = await createJwtSigner(client, KEYS).sign(CLAIMS);

    const calls = kms.commandCalls(SignCommand);
    expect(calls).toHaveLength(1);
    const [header, payload] = token.split('.');
    const digest = createHash('sha256').update(`${header}.${payload}`).digest();
    expect(calls[0]?.args[0].input).toEqual({
      KeyId: CURRENT,
      Message: digest,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
  });

  it("names the signing key by its RFC 7638 thumbprint in an RS256 JWT's header", async () => {
    const token = await createJwtSigner(client, KEYS).sign(CLAIMS);

    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: await thumbprint(CURRENT),
    });
  });

  it('produces a token that jose verifies against the JWKS', async () => {
    const signer = createJwtSigner(client, KEYS);

    const token = await signer.sign(CLAIMS);

    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await signer.jwks()), {
      algorithms: ['RS256'],
    });
    expect(payload).toEqual(CLAIMS);
    expect(protectedHeader.kid).toBe(await thumbprint(CURRENT));
  });

  it('reads the signing key once, with GetPublicKey on the configured id, for all the tokens it signs', async () => {
    const signer = createJwtSigner(client, KEYS);

    await Promise.all([signer.sign(CLAIMS), signer.sign(CLAIMS)]);
    await signer.sign(CLAIMS);

    const calls = kms.commandCalls(GetPublicKeyCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([{ KeyId: CURRENT }]);
  });

  it('refuses a signature from another key than the one its kid names (an alias moved), then follows the move', async () => {
    kms
      .on(GetPublicKeyCommand, { KeyId: ALIAS })
      .resolvesOnce(publicKeyAnswer(CURRENT))
      .resolves(publicKeyAnswer(NEXT));
    kms.on(SignCommand, { KeyId: ALIAS }).callsFake((input: SignCommandInput) => kmsSign(NEXT, input));
    const signer = createJwtSigner(client, { signingKeyId: ALIAS, publishedKeyIds: [] });

    const refusal = await failureOf(signer.sign(CLAIMS));
    const token = await signer.sign(CLAIMS);

    expect(refusal.message).toContain(ALIAS);
    expect(decodeProtectedHeader(token).kid).toBe(await thumbprint(NEXT));
    await expect(jwtVerify(token, createLocalJWKSet(await signer.jwks()))).resolves.toBeDefined();
  });
});

describe('jwks', () => {
  it('publishes the signing key first, then the others, as RS256 signing JWKs', async () => {
    const { keys } = await createJwtSigner(client, KEYS).jwks();

    const expected = await Promise.all(
      [CURRENT, NEXT].map(async (keyArn) => {
        const { n, e } = createPublicKey(privateKeys.get(keyArn) as KeyObject).export({ format: 'jwk' });
        return { kty: 'RSA', n, e, kid: await thumbprint(keyArn), alg: 'RS256', use: 'sig' };
      }),
    );
    expect(keys).toEqual(expected);
  });

  it('publishes a key once, however often and in whatever form it is named', async () => {
    kms.on(GetPublicKeyCommand, { KeyId: ALIAS }).resolves(publicKeyAnswer(CURRENT));
    const signer = createJwtSigner(client, {
      signingKeyId: CURRENT,
      publishedKeyIds: [NEXT, CURRENT, ALIAS, NEXT],
    });

    const { keys } = await signer.jwks();

    expect(keys.map((key) => key.kid)).toEqual([await thumbprint(CURRENT), await thumbprint(NEXT)]);
  });

  it('reads the public keys once per container', async () => {
    const signer = createJwtSigner(client, KEYS);
    await signer.jwks();
    kms.resetHistory();

    await signer.jwks();
    await signer.sign(CLAIMS);

    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(0);
  });

  it('does not keep a failed read: the next call reads again', async () => {
    kms
      .on(GetPublicKeyCommand, { KeyId: NEXT })
      .rejectsOnce(kmsError(KMSInternalException))
      .resolves(publicKeyAnswer(NEXT));
    const signer = createJwtSigner(client, KEYS);

    await failureOf(signer.jwks());
    const { keys } = await signer.jwks();

    expect(keys).toHaveLength(2);
    expect(kms.commandCalls(GetPublicKeyCommand, { KeyId: NEXT })).toHaveLength(2);
  });

  it('fails whole when a published key cannot be read (fail closed), naming the key', async () => {
    kms.on(GetPublicKeyCommand, { KeyId: NEXT }).rejects(kmsError(NotFoundException));

    const refusal = await failureOf(createJwtSigner(client, KEYS).jwks());

    expect(refusal.upstream).toBe('kms');
    expect(refusal.message).toContain(NEXT);
    expect(refusal.message).toContain('does not exist');
  });

  it('refuses a key that is not RSA', async () => {
    kms
      .on(GetPublicKeyCommand, { KeyId: CURRENT })
      .resolves({ ...publicKeyAnswer(CURRENT), KeySpec: 'ECC_NIST_P256' });

    const refusal = await failureOf(createJwtSigner(client, KEYS).jwks());

    expect(refusal.message).toContain('ECC_NIST_P256');
  });
});

describe("KMS's refusals", () => {
  it.each([
    ['a disabled key', () => kmsError(DisabledException), 'is disabled'],
    ['an unknown key', () => kmsError(NotFoundException), 'does not exist'],
    ['a denied call', accessDenied, 'kms:Sign'],
  ])('name the signing key and what to check for %s', async (_case, error, hint) => {
    const thrown = error();
    kms.on(SignCommand).rejects(thrown);

    const refusal = await failureOf(createJwtSigner(client, KEYS).sign(CLAIMS));

    expect(refusal).toMatchObject({ upstream: 'kms', retryAfterSeconds: 30 });
    expect(refusal.message).toContain(CURRENT);
    expect(refusal.message).toContain(hint);
    expect(refusal.cause).toBe(thrown);
  });

  it('are a short outage when KMS itself fails', async () => {
    kms.on(SignCommand).rejects(kmsError(KMSInternalException));

    const refusal = await failureOf(createJwtSigner(client, KEYS).sign(CLAIMS));

    expect(refusal).toMatchObject({ upstream: 'kms', retryAfterSeconds: 2 });
    expect(refusal.message).toBe('KMS is unavailable (Sign: KMSInternalException)');
  });

  it('never carry the claims', async () => {
    kms.on(SignCommand).rejects(kmsError(DisabledException));

    const refusal = await failureOf(createJwtSigner(client, KEYS).sign(CLAIMS));

    expect(refusal.message).not.toContain(CLAIMS.secret);
    expect(refusal.message).not.toContain(
      Buffer.from(JSON.stringify(CLAIMS)).toString('base64url').slice(0, 20),
    );
  });
});
