/**
 * Canary sessions of the revocation follow-up check, with STS mocked: what the canary asks STS for
 * (its tags, a session policy allowing only the probe), and how a probe's answer reads.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RevokerSession } from '../../../lib/adapters/iam.ts';
import { revocationCanaries } from '../../../lib/adapters/iam-canary.ts';

const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly';
const PROBE = 'arn:aws:iam::111111111111:role/hallpass-prod-revoker-probe';
const revoker: RevokerSession = async () => ({
  credentials: {
    accessKeyId: 'ASIAREVOKER',
    secretAccessKey: 'revoker-secret',
    sessionToken: 'revoker-token',
  },
  account: '111111111111',
  partition: 'aws',
});
const start = revocationCanaries(revoker, {
  revokerRoleName: 'hallpass-prod-revoker',
  clientOptions: { region: 'us-east-1' },
});
const denied = (message: string) => Object.assign(new Error(message), { name: 'AccessDenied' });

beforeEach(() => {
  sts.reset();
  sts.on(AssumeRoleCommand, { RoleArn: ROLE }).resolves({
    Credentials: {
      AccessKeyId: 'ASIACANARY',
      SecretAccessKey: 'canary-secret',
      SessionToken: 'canary-token',
      Expiration: new Date('2030-01-01T00:15:00Z'),
    },
  });
});

describe('a revocation canary', () => {
  it('is a 15-minute session of the role, tagged as a canary with a fresh session id, allowed only the probe', async () => {
    sts.on(AssumeRoleCommand, { RoleArn: PROBE }).resolves({});
    const made = await start(ROLE);
    if (!('canary' in made)) throw new Error(made.unavailable);
    expect(made.canary.id).toMatch(/^[a-z2-7]{16}$/);
    const input = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      RoleArn: ROLE,
      RoleSessionName: `hallpass-canary-${made.canary.id}`,
      DurationSeconds: 900,
      Tags: [
        { Key: 'hallpass:session-id', Value: made.canary.id },
        { Key: 'hallpass:principal', Value: 'hallpass:revocation-canary' },
      ],
    });
    expect(input?.SourceIdentity).toBeUndefined();
    expect(input?.TransitiveTagKeys).toBeUndefined();
    expect(JSON.parse(input?.Policy ?? '')).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: PROBE }],
    });
    made.canary.close();
  });

  it('reads an allowed probe as not denied, and AccessDenied as denied', async () => {
    const made = await start(ROLE);
    if (!('canary' in made)) throw new Error(made.unavailable);
    sts.on(AssumeRoleCommand, { RoleArn: PROBE }).resolvesOnce({}).rejectsOnce(denied('explicit deny'));
    expect(await made.canary.denied()).toBe(false);
    expect(await made.canary.denied()).toBe(true);
    expect(sts.commandCalls(AssumeRoleCommand, { RoleArn: PROBE })).toHaveLength(2);
  });

  it('lets any other probe failure through (the check reads it as unverified)', async () => {
    const made = await start(ROLE);
    if (!('canary' in made)) throw new Error(made.unavailable);
    sts
      .on(AssumeRoleCommand, { RoleArn: PROBE })
      .rejects(Object.assign(new Error('slow'), { name: 'Throttling' }));
    await expect(made.canary.denied()).rejects.toThrow('slow');
  });

  it("measures the client that makes canaries, not the probe's, whose AccessDenied is the expected answer", async () => {
    const instrumented: STSClient[] = [];
    const measuredStart = revocationCanaries(revoker, {
      revokerRoleName: 'hallpass-prod-revoker',
      clientOptions: { region: 'us-east-1' },
      instrument: (client) => {
        instrumented.push(client);
        return client;
      },
    });
    sts.on(AssumeRoleCommand, { RoleArn: PROBE }).rejects(denied('explicit deny'));
    const made = await measuredStart(ROLE);
    if (!('canary' in made)) throw new Error(made.unavailable);
    expect(await made.canary.denied()).toBe(true);
    expect(instrumented).toHaveLength(1);
    made.canary.close();
  });

  it('says why there is none when the role does not trust the revoker for canaries', async () => {
    sts.on(AssumeRoleCommand, { RoleArn: ROLE }).rejects(denied('not authorized'));
    expect(await start(ROLE)).toEqual({
      unavailable: expect.stringMatching(/does not trust the revoker for canaries.*target-template/),
    });
  });

  it('says why there is none when the revoker cannot be assumed', async () => {
    const failing = revocationCanaries(
      async () => {
        throw Object.assign(new Error('no'), { name: 'UpstreamUnavailableError' });
      },
      { revokerRoleName: 'hallpass-prod-revoker', clientOptions: { region: 'us-east-1' } },
    );
    expect(await failing(ROLE)).toEqual({
      unavailable: 'the revoker role could not be assumed (UpstreamUnavailableError)',
    });
  });
});
