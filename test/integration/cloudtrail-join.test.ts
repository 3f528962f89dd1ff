/**
 * The CloudTrail join (lib/core/cloudtrail-join.ts, the README's Athena query) on sessions issued by
 * the real vend handler against the local STS, and CloudTrail records written by hand in the shape
 * AWS documents (CloudTrail record contents, userIdentity element, and the AssumeRole example of the
 * STS CloudTrail page): hallpass's AssumeRole, the session's own calls, a role chain, and calls
 * known only by SourceIdentity.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CloudTrailRecord, joinCloudTrail } from '../../lib/core/cloudtrail-join.ts';
import type { Session } from '../../lib/core/session.ts';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let vendHandler: Handler;
let sandbox: Session;
let glass: Session;
let carol: Session;

async function vend(sub: string, groups: string[], body: Record<string, unknown>): Promise<Session> {
  const token = await tokenFor(sub, { groups, name: `${sub} name` });
  const answer = await invoke(vendHandler, { path: '/v1/credentials', token, body });
  expect(answer.status).toBe(200);
  return answer.body.session;
}

const later = (time: string, ms: number) => `${new Date(Date.parse(time) + ms).toISOString().slice(0, 19)}Z`;
const VEND_ROLE_KEY = 'ASIAVENDFUNCTION0001';
let n = 0;

/** A record of CloudTrail's documented shape: an AWS API call by an assumed-role session. */
function call(
  eventTime: string,
  eventSource: string,
  eventName: string,
  identity: { accessKeyId: string; roleArn: string; sessionName: string; sourceIdentity?: string },
  extra: Record<string, unknown> = {},
): CloudTrailRecord {
  const account = identity.roleArn.split(':')[4] as string;
  const roleName = identity.roleArn.split('/').pop() as string;
  n += 1;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEROLEID0001:${identity.sessionName}`,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${identity.sessionName}`,
      accountId: account,
      accessKeyId: identity.accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID0001',
          arn: identity.roleArn,
          accountId: account,
          userName: roleName,
        },
        attributes: { creationDate: eventTime, mfaAuthenticated: 'false' },
        ...(identity.sourceIdentity ? { sourceIdentity: identity.sourceIdentity } : {}),
      },
    },
    eventTime,
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${n}`,
    eventID: `event-${n}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
    ...extra,
  } as CloudTrailRecord;
}

/** sts:AssumeRole as CloudTrail logs it: the parameters, and the issued key in the response. */
function assumeRole(
  eventTime: string,
  caller: Parameters<typeof call>[3],
  target: { roleArn: string; sessionName: string; sourceIdentity: string; accessKeyId: string },
): CloudTrailRecord {
  return call(eventTime, 'sts.amazonaws.com', 'AssumeRole', caller, {
    readOnly: false,
    requestParameters: {
      roleArn: target.roleArn,
      roleSessionName: target.sessionName,
      durationSeconds: 900,
      sourceIdentity: target.sourceIdentity,
    },
    responseElements: {
      credentials: {
        accessKeyId: target.accessKeyId,
        sessionToken: '<the token, as CloudTrail logs it>',
        expiration: 'Nov 28, 2026, 3:27:00 AM',
      },
      assumedRoleUser: {
        assumedRoleId: `AROAEXAMPLEROLEID0002:${target.sessionName}`,
        arn: `arn:aws:sts::${target.roleArn.split(':')[4]}:assumed-role/${target.roleArn.split('/').pop()}/${target.sessionName}`,
      },
      sourceIdentity: target.sourceIdentity,
    },
  });
}

const identityOf = (s: Session) => ({
  accessKeyId: s.accessKeyId,
  roleArn: s.roleArn,
  sessionName: s.sessionName,
  sourceIdentity: s.sourceIdentity,
});

beforeAll(async () => {
  await useLocalSts();
  await useIsolatedTables();
  vendHandler = (await import('../../functions/credentials.ts')).handler as Handler;
  sandbox = await vend('alice', ['engineers', 'oncall'], { entitlementId: 'sandbox-readonly' });
  glass = await vend('alice', ['engineers', 'oncall'], {
    entitlementId: 'prod-admin',
    breakGlass: { justification: 'INC-42: payments are down, failover needed' },
  });
  carol = await vend('carol', ['engineers'], { entitlementId: 'sandbox-readonly' });
});

describe('joining CloudTrail records to hallpass sessions', () => {
  it('finds the issuance, the calls, a role chain and calls known only by SourceIdentity', () => {
    const vendFunction = {
      accessKeyId: VEND_ROLE_KEY,
      roleArn: 'arn:aws:iam::999999999999:role/hallpass-prod-vend',
      sessionName: 'hallpass-prod-credentials',
    };
    const chainedKey = 'ASIACHAINEDSESSION01';
    const chainedRole = 'arn:aws:iam::222222222222:role/db-failover';
    const records = [
      assumeRole(sandbox.issuedAt, vendFunction, identityOf(sandbox)),
      call(later(sandbox.issuedAt, 60_000), 's3.amazonaws.com', 'ListBuckets', identityOf(sandbox)),
      assumeRole(later(glass.issuedAt, 60_000), identityOf(glass), {
        roleArn: chainedRole,
        sessionName: 'failover',
        sourceIdentity: glass.sourceIdentity,
        accessKeyId: chainedKey,
      }),
      call(later(glass.issuedAt, 120_000), 'rds.amazonaws.com', 'FailoverDBCluster', {
        accessKeyId: chainedKey,
        roleArn: chainedRole,
        sessionName: 'failover',
        sourceIdentity: glass.sourceIdentity,
      }),
      // A key hallpass never saw, but the SourceIdentity no one can change, while alice's sessions were valid.
      call(later(glass.issuedAt, 180_000), 'ec2.amazonaws.com', 'DescribeInstances', {
        accessKeyId: 'ASIAUNSEENKEY0000001',
        roleArn: chainedRole,
        sessionName: 'elsewhere',
        sourceIdentity: 'alice',
      }),
      // Too late for any of her sessions, even chained; another person; no SourceIdentity at all.
      call(later(glass.expiresAt, 2 * 3600_000), 'ec2.amazonaws.com', 'DescribeInstances', {
        accessKeyId: 'ASIAUNSEENKEY0000002',
        roleArn: chainedRole,
        sessionName: 'late',
        sourceIdentity: 'alice',
      }),
      call(later(glass.issuedAt, 60_000), 's3.amazonaws.com', 'GetObject', {
        accessKeyId: 'ASIAUNSEENKEY0000003',
        roleArn: chainedRole,
        sessionName: 'm',
        sourceIdentity: 'mallory',
      }),
      call(later(glass.issuedAt, 60_000), 's3.amazonaws.com', 'GetObject', {
        accessKeyId: 'ASIAUNSEENKEY0000004',
        roleArn: chainedRole,
        sessionName: 'x',
      }),
      call(later(carol.issuedAt, 60_000), 's3.amazonaws.com', 'GetObject', identityOf(carol)),
    ];

    const matches = joinCloudTrail(records, [sandbox, glass, carol]);

    const expected = [
      { eventID: records[0]?.eventID, sessionId: sandbox.id, by: 'accessKeyId' },
      { eventID: records[1]?.eventID, sessionId: sandbox.id, by: 'accessKeyId' },
      { eventID: records[2]?.eventID, sessionId: glass.id, by: 'accessKeyId' },
      { eventID: records[3]?.eventID, sessionId: glass.id, by: 'roleChain' },
      { eventID: records[4]?.eventID, sessionId: sandbox.id, by: 'sourceIdentity' },
      { eventID: records[4]?.eventID, sessionId: glass.id, by: 'sourceIdentity' },
      { eventID: records[8]?.eventID, sessionId: carol.id, by: 'accessKeyId' },
    ];
    expect(matches).toEqual(expected);
  });

  it("never joins a call to a session whose key it was not made with, even another's with the same role", () => {
    const records = [call(later(carol.issuedAt, 1000), 's3.amazonaws.com', 'GetObject', identityOf(carol))];
    expect(joinCloudTrail(records, [sandbox]).map((m) => m.sessionId)).toEqual([]);
  });

  it('joins a session of the vend as STS reported it: its SourceIdentity is the principal', () => {
    expect(sandbox.sourceIdentity).toBe('alice');
    expect(sandbox.accessKeyId).toMatch(/^ASIA/);
  });
});
