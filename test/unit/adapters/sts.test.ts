import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { assumeRole } from '../../../lib/adapters/sts.ts';
import type { AssumeRolePlan } from '../../../lib/core/session-plan.ts';
import { CatalogProblemError, UpstreamUnavailableError } from '../../../lib/errors.ts';

const sts = mockClient(STSClient);
const client = new STSClient({ region: 'us-east-1' });
const EXPIRATION = new Date('2026-11-28T13:00:00Z');

function plan(overrides: Partial<AssumeRolePlan> = {}): AssumeRolePlan {
  return {
    roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
    roleSessionName: 'alice.abcdefghijklmnop',
    durationSeconds: 900,
    policy: '{"Version":"2012-10-17","Statement":[]}',
    policyArns: ['arn:aws:iam::111111111111:policy/boundary'],
    tags: {
      environment: 'sandbox',
      'hallpass:session-id': 'abcdefghijklmnop',
      'hallpass:principal': 'alice',
    },
    transitiveTagKeys: ['hallpass:principal'],
    sourceIdentity: 'alice',
    externalId: 'partner-42',
    ...overrides,
  };
}

const ANSWER: AssumeRoleCommandOutput = {
  $metadata: {},
  Credentials: {
    AccessKeyId: 'ASIAEXAMPLEKEY000001',
    SecretAccessKey: 'secret-access-key',
    SessionToken: 'session-token',
    Expiration: EXPIRATION,
  },
  AssumedRoleUser: {
    Arn: 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice.abcdefghijklmnop',
    AssumedRoleId: 'AROAEXAMPLE:alice.abcdefghijklmnop',
  },
};

const stsError = (name: string) => Object.assign(new Error('x'), { name });

function sentInput() {
  const calls = sts.commandCalls(AssumeRoleCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input;
}

beforeEach(() => {
  sts.reset();
  sts.on(AssumeRoleCommand).resolves(ANSWER);
});

describe('assumeRole', () => {
  it("sends exactly the plan's parameters", async () => {
    await assumeRole(client, plan());

    expect(sentInput()).toStrictEqual({
      RoleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
      RoleSessionName: 'alice.abcdefghijklmnop',
      DurationSeconds: 900,
      Policy: '{"Version":"2012-10-17","Statement":[]}',
      PolicyArns: [{ arn: 'arn:aws:iam::111111111111:policy/boundary' }],
      Tags: [
        { Key: 'environment', Value: 'sandbox' },
        { Key: 'hallpass:session-id', Value: 'abcdefghijklmnop' },
        { Key: 'hallpass:principal', Value: 'alice' },
      ],
      TransitiveTagKeys: ['hallpass:principal'],
      SourceIdentity: 'alice',
      ExternalId: 'partner-42',
    });
  });

  it('sends no Policy when the plan has none', async () => {
    await assumeRole(client, plan({ policy: null }));

    expect(sentInput()?.Policy).toBeUndefined();
  });

  it('sends no ExternalId when the plan has none', async () => {
    await assumeRole(client, plan({ externalId: null }));

    expect(sentInput()?.ExternalId).toBeUndefined();
  });

  it('sends no PolicyArns or TransitiveTagKeys when the plan has none', async () => {
    await assumeRole(client, plan({ policyArns: [], transitiveTagKeys: [] }));

    const input = sentInput();
    expect([input?.PolicyArns, input?.TransitiveTagKeys]).toEqual([undefined, undefined]);
  });

  it("returns STS's credentials, expiration and assumed-role ARN", async () => {
    const issued = await assumeRole(client, plan());

    expect(issued).toEqual({
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      secretAccessKey: 'secret-access-key',
      sessionToken: 'session-token',
      expiration: EXPIRATION,
      assumedRoleArn:
        'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice.abcdefghijklmnop',
    });
  });

  it.each([
    'MalformedPolicyDocumentException',
    'MalformedPolicyDocument',
    'PackedPolicyTooLargeException',
    'PackedPolicyTooLarge',
    'ValidationError',
  ])('reports %s as a catalog problem', async (name) => {
    sts.on(AssumeRoleCommand).rejects(stsError(name));

    await expect(assumeRole(client, plan())).rejects.toThrow(CatalogProblemError);
  });

  it('reports AccessDenied as a configuration error, pointing at the trust policy', async () => {
    sts.on(AssumeRoleCommand).rejects(stsError('AccessDenied'));

    await expect(assumeRole(client, plan())).rejects.toThrow(
      expect.objectContaining({
        name: 'CatalogProblemError',
        message: expect.stringContaining("the role's trust policy does not trust hallpass"),
      }),
    );
  });

  it.each(['Throttling', 'RegionDisabledException', 'ExpiredTokenException', 'InternalFailure'])(
    'reports %s as STS unavailable',
    async (name) => {
      sts.on(AssumeRoleCommand).rejects(stsError(name));

      await expect(assumeRole(client, plan())).rejects.toThrow(UpstreamUnavailableError);
    },
  );

  it('reports a network error as STS unavailable', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }));

    await expect(assumeRole(client, plan())).rejects.toThrow(UpstreamUnavailableError);
  });

  it('reports a timeout as STS unavailable', async () => {
    sts.on(AssumeRoleCommand).rejects(stsError('TimeoutError'));

    await expect(assumeRole(client, plan())).rejects.toThrow(UpstreamUnavailableError);
  });

  it('asks the caller to retry after a while when STS throttles', async () => {
    sts.on(AssumeRoleCommand).rejects(stsError('Throttling'));

    await expect(assumeRole(client, plan())).rejects.toHaveProperty('retryAfterSeconds', 2);
  });

  it('keeps the SDK error as the cause', async () => {
    const cause = stsError('Throttling');
    sts.on(AssumeRoleCommand).rejects(cause);

    await expect(assumeRole(client, plan())).rejects.toHaveProperty('cause', cause);
  });

  it('reports an answer without credentials as STS unavailable', async () => {
    sts.on(AssumeRoleCommand).resolves({ AssumedRoleUser: ANSWER.AssumedRoleUser });

    await expect(assumeRole(client, plan())).rejects.toThrow(UpstreamUnavailableError);
  });

  it('reports an answer without a session token as STS unavailable', async () => {
    sts.on(AssumeRoleCommand).resolves({
      ...ANSWER,
      Credentials: { ...ANSWER.Credentials, SessionToken: undefined } as never,
    });

    await expect(assumeRole(client, plan())).rejects.toThrow(UpstreamUnavailableError);
  });

  it('reports an answer without the assumed-role ARN as STS unavailable', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: ANSWER.Credentials });

    await expect(assumeRole(client, plan())).rejects.toThrow(UpstreamUnavailableError);
  });
});
