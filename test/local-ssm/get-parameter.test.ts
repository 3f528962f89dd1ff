import { DescribeParametersCommand, GetParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import {
  BOT_TOKEN,
  BOT_TOKEN_PARAMETER,
  FUNCTIONS,
  failure,
  OPERATOR,
  SIGNING_SECRET,
  SIGNING_SECRET_PARAMETER,
  ssmClient,
  useLocalSsm,
} from './helpers.ts';

const lines: string[] = [];
const ssm = await useLocalSsm({ log: (line) => lines.push(line) });

const getParameter = (Name: string | undefined, WithDecryption = true, client = ssmClient(ssm.url)) =>
  client.send(new GetParameterCommand({ Name, WithDecryption }));

describe('GetParameter', () => {
  it('answers a SecureString decrypted, as AWS does', async () => {
    const { Parameter } = await getParameter(SIGNING_SECRET_PARAMETER);

    expect(Parameter).toEqual({
      Name: SIGNING_SECRET_PARAMETER,
      Type: 'SecureString',
      Value: SIGNING_SECRET,
      Version: 1,
      LastModifiedDate: expect.any(Date),
      ARN: 'arn:aws:ssm:us-east-1:000000000000:parameter/hallpass/local/slack-signing-secret',
      DataType: 'text',
    });
  });

  it('answers each parameter its own value', async () => {
    expect((await getParameter(BOT_TOKEN_PARAMETER)).Parameter?.Value).toBe(BOT_TOKEN);
  });

  it('answers a ciphertext, not the value, without WithDecryption', async () => {
    const value = (await getParameter(BOT_TOKEN_PARAMETER, false)).Parameter?.Value ?? '';

    expect(value).not.toContain(BOT_TOKEN);
    expect(Buffer.from(value, 'base64').toString('utf8')).not.toContain(BOT_TOKEN);
    expect(value).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('refuses a parameter it does not have with ParameterNotFound', async () => {
    expect(await failure(getParameter('/hallpass/local/nothing-here'))).toMatchObject({
      name: 'ParameterNotFound',
      status: 400,
    });
  });

  it('refuses a Name left out', async () => {
    expect(await failure(getParameter(undefined))).toMatchObject({
      name: 'ValidationException',
      status: 400,
    });
  });

  it('answers a later version after a rotation, and the earlier one by its selector', async () => {
    ssm.setParameter('/hallpass/local/rotated', 'first');
    ssm.setParameter('/hallpass/local/rotated', 'second');

    const latest = (await getParameter('/hallpass/local/rotated')).Parameter;
    const first = (await getParameter('/hallpass/local/rotated:1')).Parameter;

    expect([latest?.Value, latest?.Version]).toEqual(['second', 2]);
    expect([first?.Value, first?.Version, first?.Selector]).toEqual(['first', 1, ':1']);
  });

  it('refuses a version that does not exist', async () => {
    expect(await failure(getParameter(`${BOT_TOKEN_PARAMETER}:7`))).toMatchObject({
      name: 'ParameterVersionNotFound',
    });
  });

  it('refuses an operation it does not implement, once the caller is known', async () => {
    expect(await failure(ssmClient(ssm.url).send(new DescribeParametersCommand({})))).toMatchObject({
      name: 'UnknownOperationException',
      status: 400,
    });
  });
});

describe('who may call the local SSM', () => {
  it("answers an IAM user's long-lived keys", async () => {
    expect(
      (await getParameter(BOT_TOKEN_PARAMETER, true, ssmClient(ssm.url, OPERATOR))).Parameter?.Value,
    ).toBe(BOT_TOKEN);
  });

  it('refuses an unsigned request, in the JSON protocol', async () => {
    const response = await fetch(ssm.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonSSM.GetParameter' },
      body: JSON.stringify({ Name: BOT_TOKEN_PARAMETER, WithDecryption: true }),
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });

  it('refuses an access key it does not know', async () => {
    const stranger = { accessKeyId: 'AKIALOCALSSMSTRANGER', secretAccessKey: 'anything' };

    expect(
      await failure(getParameter(BOT_TOKEN_PARAMETER, true, ssmClient(ssm.url, stranger))),
    ).toMatchObject({
      name: 'UnrecognizedClientException',
      status: 400,
    });
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrongSecret = { ...OPERATOR, secretAccessKey: 'not-the-operator-secret' };

    expect(
      await failure(getParameter(BOT_TOKEN_PARAMETER, true, ssmClient(ssm.url, wrongSecret))),
    ).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });

  it('logs each call by parameter name, without values, secrets or tokens', async () => {
    await getParameter(SIGNING_SECRET_PARAMETER);

    const log = lines.join('\n');

    expect(log).toContain(`GetParameter ${FUNCTIONS.accessKeyId} ${SIGNING_SECRET_PARAMETER} -> 200 OK`);
    for (const secret of [
      SIGNING_SECRET,
      BOT_TOKEN,
      FUNCTIONS.secretAccessKey,
      FUNCTIONS.sessionToken ?? '',
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});
