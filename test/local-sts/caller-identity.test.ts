import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import {
  ADMIN,
  assumeRole,
  awsCli,
  CLI_TIMEOUT,
  client,
  type Keys,
  keysOf,
  TEST_CONFIG,
  VEND,
} from './helpers.ts';

let sts: LocalSts;
let issued: Keys;
let assumedRoleId: string | undefined;

const SESSION_ARN = 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice';

beforeAll(async () => {
  sts = await startLocalSts({ port: 0, config: TEST_CONFIG });
  const out = await assumeRole(client(sts.url, VEND));
  issued = keysOf(out);
  assumedRoleId = out.AssumedRoleUser?.AssumedRoleId;
});
afterAll(() => sts.close());

const whoAmI = (keys: Keys) => client(sts.url, keys).send(new GetCallerIdentityCommand({}));

describe('GetCallerIdentity', () => {
  it('answers the assumed-role ARN, role id and account of an issued session', async () => {
    const out = await whoAmI(issued);
    expect({ Arn: out.Arn, UserId: out.UserId, Account: out.Account }).toEqual({
      Arn: SESSION_ARN,
      UserId: assumedRoleId,
      Account: '111111111111',
    });
    expect(out.UserId).toMatch(/^AROA[A-Z2-7]{17}:alice$/);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('answers the same identity to the AWS CLI', CLI_TIMEOUT, async () => {
    const result = await awsCli(sts.url, issued);
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.stdout)).toEqual({
      UserId: assumedRoleId,
      Account: '111111111111',
      Arn: SESSION_ARN,
    });
  });

  it('answers the configured ARN of a configured assumed-role caller', async () => {
    const out = await whoAmI(VEND);
    expect(out.Arn).toBe('arn:aws:sts::000000000000:assumed-role/hallpass-local-vend/hallpass');
    expect(out.UserId).toMatch(/^AROA[A-Z2-7]{17}:hallpass$/);
    expect(out.Account).toBe('000000000000');
  });

  it('answers an AIDA user id for a configured IAM user', async () => {
    const out = await whoAmI(ADMIN);
    expect(out.Arn).toBe('arn:aws:iam::000000000000:user/local-admin');
    expect(out.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it('answers a configured caller through the AWS CLI', CLI_TIMEOUT, async () => {
    const result = await awsCli(sts.url, VEND);
    expect(JSON.parse(result.stdout).Arn).toBe(
      'arn:aws:sts::000000000000:assumed-role/hallpass-local-vend/hallpass',
    );
  });
});
