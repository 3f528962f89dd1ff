import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { SIGNING_ALIAS } from '../../local/kms/server.ts';
import { failure, kmsClient, OPERATOR, SIGNER, useLocalKms } from './helpers.ts';

const lines: string[] = [];
const kms = await useLocalKms({ log: (line) => lines.push(line) });

const getPublicKey = (client = kmsClient(kms.url)) =>
  client.send(new GetPublicKeyCommand({ KeyId: SIGNING_ALIAS }));

/** A request as the SDK would send it, without any signature. */
const unsigned = (target: string) =>
  fetch(kms.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target },
    body: JSON.stringify({ KeyId: SIGNING_ALIAS }),
  });

describe('who may call the local KMS', () => {
  it('answers a session signed with its token', async () => {
    expect((await getPublicKey()).KeyId).toBe(kms.keyArns[0]);
  });

  it("answers an IAM user's long-lived keys", async () => {
    expect((await getPublicKey(kmsClient(kms.url, OPERATOR))).KeyId).toBe(kms.keyArns[0]);
  });

  it('refuses an unsigned request, in the JSON protocol', async () => {
    const response = await unsigned('TrentService.GetPublicKey');

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });

  it('does not tell an unsigned request which operations exist', async () => {
    const response = await unsigned('TrentService.NoSuchOperation');

    expect(((await response.json()) as { __type: string }).__type).toBe(
      'MissingAuthenticationTokenException',
    );
  });

  it('refuses an access key it does not know', async () => {
    const stranger = { accessKeyId: 'AKIALOCALKMSSTRANGER', secretAccessKey: 'anything' };

    expect(await failure(getPublicKey(kmsClient(kms.url, stranger)))).toMatchObject({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 400,
    });
  });

  it('refuses a session whose token is missing', async () => {
    const { sessionToken: _, ...withoutToken } = SIGNER;

    expect(await failure(getPublicKey(kmsClient(kms.url, withoutToken)))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrongSecret = { ...OPERATOR, secretAccessKey: 'not-the-operator-secret' };

    expect(await failure(getPublicKey(kmsClient(kms.url, wrongSecret)))).toMatchObject({
      name: 'InvalidSignatureException',
      status: 400,
    });
  });

  it('logs each call without secrets or tokens', () => {
    const log = lines.join('\n');

    expect(log).toContain(`GetPublicKey ${SIGNER.accessKeyId} -> 200 OK`);
    expect(log).toContain('InvalidSignatureException');
    for (const secret of [SIGNER.secretAccessKey, SIGNER.sessionToken ?? '', OPERATOR.secretAccessKey]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('the protocol', () => {
  it('refuses an operation it does not implement, once the caller is known', async () => {
    const { ListKeysCommand } = await import('@aws-sdk/client-kms');

    expect(await failure(kmsClient(kms.url).send(new ListKeysCommand({})))).toMatchObject({
      name: 'UnknownOperationException',
      status: 400,
    });
  });

  it('refuses a KeyId left out', async () => {
    const refusal = await failure(kmsClient(kms.url).send(new GetPublicKeyCommand({ KeyId: undefined })));

    expect(refusal).toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    });
  });
});
