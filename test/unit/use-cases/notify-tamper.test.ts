/**
 * The notify function on the audit table's stream: new records are notified exactly as before, and a
 * change or removal of a session record other than its review or TTL expiry is logged as
 * `audit.tampered` (the line the CloudWatch alarm counts), once, without blocking notifications.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogEvent } from '../../../lib/audit-events.ts';
import { type NotifyDeps, notifyStreamRecords } from '../../../lib/use-cases/notify.ts';

const session = {
  pk: { S: 'session#ASIAEXAMPLE000000001' },
  kind: { S: 'session' },
  principalSub: { S: 'alice' },
  breakGlass: { S: 'true' },
};
const review = { M: { status: { S: 'justified' } } };

let sequence = 0;
const record = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { OldImage?: object; NewImage?: object },
  userIdentity?: object,
): DynamoDBRecord =>
  ({
    eventName,
    ...(userIdentity ? { userIdentity } : {}),
    dynamodb: {
      Keys: { pk: (images.NewImage ?? images.OldImage) as never },
      SequenceNumber: String(++sequence),
      ...images,
    },
  }) as DynamoDBRecord;

function tamperLines(spy: { mock: { calls: unknown[][] } }): Array<Record<string, unknown>> {
  return spy.mock.calls
    .map((args) => JSON.parse(String(args[0])) as Record<string, unknown>)
    .filter((line) => line.event === LogEvent.auditTampered);
}

afterEach(() => vi.restoreAllMocks());

describe('notifyStreamRecords and tampering', () => {
  it('logs audit.tampered for a rewrite and a removal, not for the review or TTL, and still notifies', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const deps: NotifyDeps = { publicUrl: undefined, channels: {} };
    const result = await notifyStreamRecords(deps, [
      record('MODIFY', { OldImage: session, NewImage: { ...session, review } }),
      record('REMOVE', { OldImage: session }, { type: 'Service', principalId: 'dynamodb.amazonaws.com' }),
      record('MODIFY', { OldImage: session, NewImage: { ...session, principalSub: { S: 'mallory' } } }),
      record('REMOVE', { OldImage: session }),
    ]);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(tamperLines(errors)).toEqual([
      expect.objectContaining({
        level: 'error',
        key: 'session#ASIAEXAMPLE000000001',
        change: 'modified',
        changed: ['principalSub'],
      }),
      expect.objectContaining({ level: 'error', key: 'session#ASIAEXAMPLE000000001', change: 'removed' }),
    ]);
  });

  it('logs a tampering once when the batch is retried from a failed notification', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    // A webhook nobody listens on: the notification of the new record fails.
    const failing: NotifyDeps = { publicUrl: undefined, channels: { webhookUrl: 'http://127.0.0.1:9/' } };
    const created = {
      pk: { S: 'event#request.created#r1#x' },
      kind: { S: 'event' },
      event: { S: 'request.created' },
      entitlementId: { S: 'prod-admin' },
      principalSub: { S: 'alice' },
      requestId: { S: 'r1' },
      actor: { M: { sub: { S: 'alice' }, name: { S: 'Alice' } } },
      issuedAt: { S: '2026-11-28T12:00:00Z' },
      details: { M: { approvalRequired: { BOOL: true } } },
    };
    const before = record('REMOVE', { OldImage: session });
    const insert = record('INSERT', { NewImage: created });
    const after = record('REMOVE', { OldImage: session });
    const result = await notifyStreamRecords(failing, [before, insert, after]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: insert.dynamodb?.SequenceNumber }]);
    // The stream redelivers from the failed record: the tampering after it is logged on that retry.
    expect(tamperLines(errors)).toHaveLength(1);
  });
});
