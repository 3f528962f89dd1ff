import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { putSession } from '../../../lib/adapters/audit-table.ts';
import { fromItem } from '../../../lib/adapters/dynamo-item.ts';
import type { Session } from '../../../lib/core/session.ts';
import { UpstreamUnavailableError } from '../../../lib/errors.ts';

const dynamodb = mockClient(DynamoDBClient);
const table = {
  client: new DynamoDBClient({ region: 'us-east-1' }),
  tableName: 'hallpass-test-audit',
  retentionDays: 400,
};
const ISSUED_AT = '2026-11-28T12:00:00Z';

function session(overrides: Partial<Session> = {}): Session {
  return {
    id: 'abcdefghijklmnop',
    issuedAt: ISSUED_AT,
    expiresAt: '2026-11-28T12:15:00Z',
    principal: { sub: 'alice', name: 'alice@example.com', groups: ['engineers'] },
    entitlementId: 'sandbox-readonly',
    issuance: 'assume-role',
    roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
    assumedRoleArn: 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice.abcdefghijklmnop',
    sessionName: 'alice.abcdefghijklmnop',
    sourceIdentity: 'alice',
    accessKeyId: 'ASIAEXAMPLEKEY000001',
    durationSeconds: 900,
    sessionPolicy: null,
    policyArns: [],
    tags: { 'hallpass:session-id': 'abcdefghijklmnop', 'hallpass:principal': 'alice' },
    requestId: null,
    approvers: [],
    breakGlass: null,
    client: { sourceIp: '192.0.2.1', userAgent: 'curl/8' },
    ...overrides,
  };
}

async function storedItem(value: Session) {
  await putSession(table, value);
  const calls = dynamodb.commandCalls(PutItemCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input;
}

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(PutItemCommand).resolves({});
});

describe('putSession', () => {
  it('writes one item to the audit table, only if none exists under its key', async () => {
    const input = await storedItem(session());

    expect(input).toMatchObject({
      TableName: 'hallpass-test-audit',
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('keys the item by session#<AccessKeyId>', async () => {
    const input = await storedItem(session());

    expect(input?.Item?.pk).toEqual({ S: 'session#ASIAEXAMPLEKEY000001' });
  });

  it('writes the attributes the indexes need', async () => {
    const input = await storedItem(session());

    expect(input?.Item).toMatchObject({
      sessionId: { S: 'abcdefghijklmnop' },
      principalSub: { S: 'alice' },
      entitlementId: { S: 'sandbox-readonly' },
      roleArn: { S: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly' },
      accessKeyId: { S: 'ASIAEXAMPLEKEY000001' },
      issuedAt: { S: ISSUED_AT },
      issuedDay: { S: '2026-11-28' },
    });
  });

  it('leaves requestId and breakGlass out when they are null, keeping their indexes sparse', async () => {
    const input = await storedItem(session({ requestId: null, breakGlass: null }));

    const keys = Object.keys(input?.Item ?? {});
    expect(keys.filter((key) => key === 'requestId' || key === 'breakGlass')).toEqual([]);
  });

  it('writes requestId when the session has one', async () => {
    const input = await storedItem(session({ requestId: 'req-123' }));

    expect(input?.Item?.requestId).toEqual({ S: 'req-123' });
  });

  it('writes breakGlass for a break-glass session', async () => {
    const breakGlass: Session['breakGlass'] = {
      justification: 'the database is on fire and needs a restart',
      review: { status: 'pending', reviewer: null, at: null, comment: null },
    };

    const input = await storedItem(session({ breakGlass }));

    expect(input?.Item?.breakGlass).toEqual({ S: 'true' });
  });

  it('expires the item retentionDays after issuedAt', async () => {
    const input = await storedItem(session());

    expect(input?.Item?.ttl).toEqual({ N: String(Date.parse(ISSUED_AT) / 1000 + 400 * 86400) });
  });

  it('stores the whole session as its record', async () => {
    const value = session({ requestId: 'req-123', sessionPolicy: '{"Statement":[]}' });

    const input = await storedItem(value);

    expect(input?.Item ? fromItem(input.Item).record : undefined).toEqual(value);
  });

  it.each([
    'ConditionalCheckFailedException',
    'ProvisionedThroughputExceededException',
    'ResourceNotFoundException',
    'InternalServerError',
  ])('reports %s as DynamoDB unavailable', async (name) => {
    dynamodb.on(PutItemCommand).rejects(Object.assign(new Error('x'), { name }));

    await expect(putSession(table, session())).rejects.toThrow(UpstreamUnavailableError);
  });

  it('names DynamoDB as the upstream that failed', async () => {
    dynamodb.on(PutItemCommand).rejects(Object.assign(new Error('x'), { name: 'ThrottlingException' }));

    await expect(putSession(table, session())).rejects.toHaveProperty('upstream', 'dynamodb');
  });
});
