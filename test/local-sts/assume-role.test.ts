import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import {
  ADMIN,
  assumeRole,
  client,
  failure,
  keysOf,
  LONG,
  PARTNER,
  PARTNER_EXTERNAL_ID,
  SANDBOX,
  STRANGER,
  TEST_CONFIG,
  TestClock,
  VEND,
  validationError,
} from './helpers.ts';

const clock = new TestClock();
let sts: LocalSts;

beforeAll(async () => {
  sts = await startLocalSts({ port: 0, config: TEST_CONFIG, now: clock.now });
});
afterAll(() => sts.close());
afterEach(() => clock.reset());

const accessDenied = (caller: string, role: string) => ({
  name: 'AccessDenied',
  code: 'AccessDenied',
  message: `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${role}`,
  status: 403,
});
const VEND_ARN = 'arn:aws:sts::000000000000:assumed-role/hallpass-local-vend/hallpass';

describe('AssumeRole', () => {
  it('issues a session with policy, tags, transitive tag keys and source identity, as AWS shapes it', async () => {
    const frozenAt = clock.freeze();
    const policy =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}';
    const out = await assumeRole(client(sts.url, VEND), {
      RoleSessionName: 'alice@example.com',
      DurationSeconds: 900,
      Policy: policy,
      PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
      Tags: [
        { Key: 'hallpass:request', Value: 'req-123' },
        { Key: 'team', Value: 'platform' },
      ],
      TransitiveTagKeys: ['team'],
      SourceIdentity: 'alice',
    });

    expect(out.AssumedRoleUser).toEqual({
      Arn: 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice@example.com',
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}:alice@example\.com$/),
    });
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials?.SecretAccessKey).toMatch(/^[A-Za-z0-9/+]{40}$/);
    expect(out.Credentials?.SessionToken).toMatch(/^[A-Za-z0-9/+]{200,}={0,2}$/);
    expect(out.Credentials?.Expiration).toEqual(new Date(frozenAt + 900_000));
    expect(out.SourceIdentity).toBe('alice');
    const packed =
      policy.length + 'hallpass:request'.length + 'req-123'.length + 'team'.length + 'platform'.length;
    expect(out.PackedPolicySize).toBe(Math.ceil((100 * packed) / 2048));
    expect(sts.issuedAccessKeyIds()).toContain(out.Credentials?.AccessKeyId);
  });

  it('defaults to one hour and leaves out PackedPolicySize and SourceIdentity when none were sent', async () => {
    const frozenAt = clock.freeze();
    const out = await assumeRole(client(sts.url, VEND));
    expect(out.Credentials?.Expiration).toEqual(new Date(frozenAt + 3600_000));
    expect(out.PackedPolicySize).toBeUndefined();
    expect(out.SourceIdentity).toBeUndefined();
  });

  it('mints distinct keys per session but one stable role id per role', async () => {
    const sdk = client(sts.url, VEND);
    const [a, b] = await Promise.all([
      assumeRole(sdk, { RoleSessionName: 'one' }),
      assumeRole(sdk, { RoleSessionName: 'two' }),
    ]);
    expect(a.Credentials?.AccessKeyId).not.toBe(b.Credentials?.AccessKeyId);
    expect(a.Credentials?.SecretAccessKey).not.toBe(b.Credentials?.SecretAccessKey);
    expect(a.AssumedRoleUser?.AssumedRoleId?.split(':')[0]).toBe(
      b.AssumedRoleUser?.AssumedRoleId?.split(':')[0],
    );
  });

  it('lets a caller that is not an assumed-role session ask for up to the role MaxSessionDuration', async () => {
    const frozenAt = clock.freeze();
    const out = await assumeRole(client(sts.url, ADMIN), { RoleArn: LONG, DurationSeconds: 43200 });
    expect(out.Credentials?.Expiration).toEqual(new Date(frozenAt + 43200_000));
    // The assumed-role ARN carries the role name without its path.
    expect(out.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::333333333333:assumed-role/hallpass-long-sessions/alice',
    );
  });

  it('refuses a duration over the role MaxSessionDuration with ValidationError', async () => {
    expect(await failure(assumeRole(client(sts.url, ADMIN), { DurationSeconds: 3601 }))).toEqual(
      validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'),
    );
  });

  it('refuses more than one hour to an assumed-role caller (role chaining) with ValidationError', async () => {
    expect(
      await failure(assumeRole(client(sts.url, VEND), { RoleArn: LONG, DurationSeconds: 3601 })),
    ).toEqual(
      validationError(
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      ),
    );
  });

  it('lets an issued session chain into a role that trusts its role, for at most one hour', async () => {
    const sandbox = client(sts.url, keysOf(await assumeRole(client(sts.url, VEND))));
    const chained = await assumeRole(sandbox, {
      RoleArn: LONG,
      RoleSessionName: 'chained',
      DurationSeconds: 3600,
    });
    expect(chained.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::333333333333:assumed-role/hallpass-long-sessions/chained',
    );
    expect((await failure(assumeRole(sandbox, { RoleArn: LONG, DurationSeconds: 3601 }))).name).toBe(
      'ValidationError',
    );
  });

  it('refuses an issued session chaining into a role that does not trust its role with AccessDenied', async () => {
    const issued = await assumeRole(client(sts.url, VEND), { RoleSessionName: 'bob' });
    expect(await failure(assumeRole(client(sts.url, keysOf(issued))))).toEqual(
      accessDenied('arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/bob', SANDBOX),
    );
  });

  it('refuses a caller the role does not trust with AccessDenied', async () => {
    expect(await failure(assumeRole(client(sts.url, STRANGER)))).toEqual(
      accessDenied('arn:aws:iam::000000000000:user/stranger', SANDBOX),
    );
  });

  it('refuses a role it does not know with AccessDenied, as AWS does for roles that do not exist', async () => {
    const role = 'arn:aws:iam::111111111111:role/no-such-role';
    expect(await failure(assumeRole(client(sts.url, VEND), { RoleArn: role }))).toEqual(
      accessDenied(VEND_ARN, role),
    );
  });

  it('requires exactly the ExternalId the role names, else AccessDenied', async () => {
    const sdk = client(sts.url, VEND);
    expect(await failure(assumeRole(sdk, { RoleArn: PARTNER }))).toEqual(accessDenied(VEND_ARN, PARTNER));
    expect(await failure(assumeRole(sdk, { RoleArn: PARTNER, ExternalId: 'partner-external-id-2' }))).toEqual(
      accessDenied(VEND_ARN, PARTNER),
    );
    const out = await assumeRole(sdk, { RoleArn: PARTNER, ExternalId: PARTNER_EXTERNAL_ID });
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::444444444444:assumed-role/hallpass-partner/alice');
  });
});
