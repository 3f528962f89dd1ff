/**
 * How the audit-query adapter walks the per-day index: never past the retention window, however wide
 * the range asked for, and at most MAX_PARTITIONS_PER_PAGE partitions per page, continuing from a
 * position rather than running until the function times out.
 */
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { findEvents, findSessions, MAX_PARTITIONS_PER_PAGE } from '../../../lib/adapters/audit-query.ts';

const dynamodb = mockClient(DynamoDBClient);
const NOW = new Date('2026-11-28T12:00:00Z');
const table = (retentionDays: number) => ({
  client: new DynamoDBClient({ region: 'us-east-1' }),
  tableName: 'hallpass-test-audit',
  retentionDays,
});
const listing = { start: undefined, limit: 50, now: NOW };

/** The day partitions (issuedDay values) that the adapter queried, in order. */
const daysQueried = () =>
  dynamodb
    .commandCalls(QueryCommand)
    .map((call) => call.args[0].input.ExpressionAttributeValues?.[':h']?.S as string);

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(QueryCommand).resolves({ Items: [] });
});

describe('a time range wider than the retention window', () => {
  it('walks no day before the window, for from=1990-01-01', async () => {
    const page = await findSessions(table(400), { from: '1990-01-01T00:00:00Z' }, listing);

    expect(page).toEqual({ items: [], next: undefined });
    expect(daysQueried().length).toBeLessThanOrEqual(402);
    expect(daysQueried().at(-1)).toBe('2025-10-24');
  });

  it('walks no day after today, for to=9999-12-31', async () => {
    await findSessions(table(400), { to: '9999-12-31T23:59:59Z' }, listing);

    expect(daysQueried()[0]).toBe('2026-11-28');
    expect(daysQueried().length).toBeLessThanOrEqual(402);
  });

  it('walks nothing for a range wholly before the window', async () => {
    const page = await findSessions(
      table(30),
      { from: '2001-01-01T00:00:00Z', to: '2001-02-01T00:00:00Z' },
      listing,
    );

    expect(page).toEqual({ items: [], next: undefined });
    expect(daysQueried()).toEqual([]);
  });
});

describe('a page over many partitions', () => {
  it('stops after MAX_PARTITIONS_PER_PAGE partitions and gives the position to continue from', async () => {
    const first = await findSessions(table(3650), {}, listing);

    expect(daysQueried()).toHaveLength(MAX_PARTITIONS_PER_PAGE);
    expect(first.next).toEqual({ p: MAX_PARTITIONS_PER_PAGE, k: null });

    dynamodb.resetHistory();
    await findSessions(table(3650), {}, { ...listing, start: first.next });
    expect(daysQueried()[0]).toBe(
      new Date(NOW.getTime() - MAX_PARTITIONS_PER_PAGE * 86400_000).toISOString().slice(0, 10),
    );
  });

  it('applies the same bound to the story of everyone (GET /v1/events without a filter)', async () => {
    const page = await findEvents(table(3650), {}, listing);

    expect(daysQueried()).toHaveLength(MAX_PARTITIONS_PER_PAGE);
    expect(page.next).toEqual({ p: MAX_PARTITIONS_PER_PAGE, k: null });
  });
});
