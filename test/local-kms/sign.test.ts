import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  DescribeKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  SignCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_ALIAS } from '../../local/kms/server.ts';
import { failure, kmsClient, useLocalKms } from './helpers.ts';

const kms = await useLocalKms({ keyCount: 2 });
let client: KMSClient;
const [FIRST = '', SECOND = ''] = kms.keyIds;
const [FIRST_ARN = '', SECOND_ARN = ''] = kms.keyArns;
const MESSAGE = Buffer.from('header.payload');
const DIGEST = createHash('sha256').update(MESSAGE).digest();

beforeAll(() => {
  client = kmsClient(kms.url);
});

const signWith = (input: Partial<SignCommandInput> = {}) =>
  client.send(
    new SignCommand({
      KeyId: FIRST,
      Message: DIGEST,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      ...input,
    }),
  );

async function publicKeyOf(keyId: string) {
  const answer = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return createPublicKey({ key: Buffer.from(answer.PublicKey ?? []), format: 'der', type: 'spki' });
}

describe('Sign', () => {
  it('signs a SHA-256 digest with PKCS#1 v1.5, verifiable with the public key', async () => {
    const answer = await signWith();

    expect(answer).toMatchObject({ KeyId: FIRST_ARN, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' });
    const signature = Buffer.from(answer.Signature ?? []);
    expect(signature).toHaveLength(256);
    expect(verify('sha256', MESSAGE, await publicKeyOf(FIRST), signature)).toBe(true);
  });

  it('hashes a RAW message itself, giving the same signature as its digest', async () => {
    const raw = await signWith({ Message: MESSAGE, MessageType: 'RAW' });
    const digest = await signWith();

    expect(Buffer.from(raw.Signature ?? [])).toEqual(Buffer.from(digest.Signature ?? []));
  });

  it('takes RAW when MessageType is left out, as KMS does', async () => {
    const answer = await signWith({ Message: MESSAGE, MessageType: undefined });

    expect(verify('sha256', MESSAGE, await publicKeyOf(FIRST), Buffer.from(answer.Signature ?? []))).toBe(
      true,
    );
  });

  it('signs with each key its own private key', async () => {
    const answer = await signWith({ KeyId: SECOND });

    const signature = Buffer.from(answer.Signature ?? []);
    expect(answer.KeyId).toBe(SECOND_ARN);
    expect(verify('sha256', MESSAGE, await publicKeyOf(SECOND), signature)).toBe(true);
    expect(verify('sha256', MESSAGE, await publicKeyOf(FIRST), signature)).toBe(false);
  });

  it.each([
    ['the key ARN', FIRST_ARN],
    ['the alias', SIGNING_ALIAS],
    ['the alias ARN', `arn:aws:kms:us-east-1:000000000000:${SIGNING_ALIAS}`],
  ])('accepts %s for the first key', async (_form, keyId) => {
    const answer = await signWith({ KeyId: keyId });

    expect(answer.KeyId).toBe(FIRST_ARN);
  });

  it('refuses a digest that is not 32 bytes long', async () => {
    expect(await failure(signWith({ Message: DIGEST.subarray(0, 31) }))).toMatchObject({
      name: 'ValidationException',
      message: 'Digest is invalid length for algorithm RSASSA_PKCS1_V1_5_SHA_256.',
      status: 400,
    });
  });

  it('refuses a RAW message over 4096 bytes', async () => {
    const refusal = await failure(signWith({ Message: Buffer.alloc(4097), MessageType: 'RAW' }));

    expect(refusal).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(refusal.message).toContain("at 'message' failed to satisfy constraint");
  });

  it('refuses an algorithm the RSA key does not sign with', async () => {
    expect(await failure(signWith({ SigningAlgorithm: 'ECDSA_SHA_256' }))).toMatchObject({
      name: 'InvalidKeyUsageException',
      status: 400,
    });
  });

  it('refuses an algorithm KMS does not know', async () => {
    const refusal = await failure(signWith({ SigningAlgorithm: 'RS256' as never }));

    expect(refusal).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(refusal.message).toContain("Value 'RS256' at 'signingAlgorithm'");
  });

  it('refuses a key it does not hold', async () => {
    const unknown = '11111111-2222-4333-8444-555555555555';

    expect(await failure(signWith({ KeyId: unknown }))).toEqual({
      name: 'NotFoundException',
      code: undefined,
      message: `Key 'arn:aws:kms:us-east-1:000000000000:key/${unknown}' does not exist`,
      status: 400,
    });
  });

  it('refuses an alias it does not hold', async () => {
    expect(await failure(signWith({ KeyId: 'alias/someone-else' }))).toMatchObject({
      name: 'NotFoundException',
      message: 'Alias arn:aws:kms:us-east-1:000000000000:alias/someone-else is not found.',
    });
  });

  it('refuses a key ARN of another account', async () => {
    const foreign = FIRST_ARN.replace('000000000000', '999999999999');

    expect(await failure(signWith({ KeyId: foreign }))).toMatchObject({ name: 'NotFoundException' });
  });
});

describe('GetPublicKey', () => {
  it("answers the key's DER SubjectPublicKeyInfo and what it signs with", async () => {
    const answer = await client.send(new GetPublicKeyCommand({ KeyId: SIGNING_ALIAS }));

    expect(answer).toMatchObject({
      KeyId: FIRST_ARN,
      KeySpec: 'RSA_2048',
      CustomerMasterKeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256'],
    });
    const key = createPublicKey({ key: Buffer.from(answer.PublicKey ?? []), format: 'der', type: 'spki' });
    expect(key.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048 });
  });
});

describe('DescribeKey', () => {
  it('describes an enabled RSA signing key', async () => {
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: SIGNING_ALIAS }));

    expect(KeyMetadata).toMatchObject({
      KeyId: FIRST,
      Arn: FIRST_ARN,
      AWSAccountId: '000000000000',
      Enabled: true,
      KeyState: 'Enabled',
      KeyUsage: 'SIGN_VERIFY',
      KeySpec: 'RSA_2048',
    });
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });
});

// Last: disabling is for the rest of the file.
describe('a disabled key', () => {
  beforeAll(() => kms.disableKey(SECOND));

  it('signs no more', async () => {
    expect(await failure(signWith({ KeyId: SECOND }))).toEqual({
      name: 'DisabledException',
      code: undefined,
      message: `${SECOND_ARN} is disabled.`,
      status: 400,
    });
  });

  it('gives out its public key no more', async () => {
    expect(await failure(client.send(new GetPublicKeyCommand({ KeyId: SECOND })))).toMatchObject({
      name: 'DisabledException',
    });
  });

  it('is still described, as disabled', async () => {
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: SECOND_ARN }));

    expect(KeyMetadata).toMatchObject({ Enabled: false, KeyState: 'Disabled' });
  });

  it('leaves the other key signing', async () => {
    expect((await signWith({ KeyId: FIRST })).KeyId).toBe(FIRST_ARN);
  });
});
