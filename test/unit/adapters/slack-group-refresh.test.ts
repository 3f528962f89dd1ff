/**
 * The Slack group refresh that runs beside every authenticated call (lib/adapters/slack-links.ts
 * groupRefresher): what it sends to the Slack table, and what it does not send again. The table's
 * client is aws-sdk-client-mock's; test/integration/slack.test.ts runs the refresh against dynalite.
 */
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupRefresher } from '../../../lib/adapters/slack-links.ts';
import type { Principal } from '../../../lib/core/principal.ts';
import { log } from '../../../lib/log.ts';

const dynamodb = mockClient(DynamoDBClient);
const table = { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'hallpass-test-slack' };

afterEach(() => {
  dynamodb.reset();
  vi.restoreAllMocks();
});

const T0 = Date.parse('2026-12-03T12:00:00Z');
const principal = (groups: string[], iat = T0 / 1000 - 60, name = 'Bob'): Principal => ({
  sub: 'bob',
  name,
  groups,
  claims: { sub: 'bob', iat },
  issuer: 'primary',
});

/** A refresher whose clock the test sets, and the UpdateItems it sent (their groups). */
function refresher() {
  let now = T0;
  const refresh = groupRefresher(table, () => new Date(now));
  return {
    refresh,
    at: (ms: number) => {
      now = T0 + ms;
    },
    sent: () =>
      dynamodb
        .commandCalls(UpdateItemCommand)
        .map((call) => call.args[0].input.ExpressionAttributeValues?.[':g']),
  };
}

describe('the group refresh beside each authenticated call', () => {
  it('sends the same token and groups once per 5 minutes from a container, not once per call', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    const r = refresher();
    for (let i = 0; i < 5; i++) await r.refresh(principal(['approvers']));
    expect(r.sent()).toHaveLength(1);
    r.at(4 * 60_000);
    await r.refresh(principal(['approvers']));
    expect(r.sent()).toHaveLength(1);
    r.at(5 * 60_000);
    await r.refresh(principal(['approvers']));
    expect(r.sent()).toHaveLength(2);
  });

  it('sends at once whatever differs: other groups (a removal), a newer token, another name', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    const r = refresher();
    await r.refresh(principal(['approvers', 'engineers']));
    await r.refresh(principal(['engineers']));
    await r.refresh(principal(['engineers'], T0 / 1000));
    await r.refresh(principal(['engineers'], T0 / 1000, 'Robert'));
    expect(r.sent()).toHaveLength(4);
    expect(r.sent()[1]).toEqual({ L: [{ S: 'engineers' }] });
  });

  it('also remembers a refresh the table refused (no link): an unlinked caller costs one write per 5 minutes', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    const r = refresher();
    await r.refresh(principal(['engineers']));
    await r.refresh(principal(['engineers']));
    expect(r.sent()).toHaveLength(1);
  });

  it('does not remember a refresh that failed: the next call tries again, and the call itself never fails', async () => {
    const warn = vi.spyOn(log, 'warn').mockImplementation(() => undefined);
    dynamodb.on(UpdateItemCommand).rejectsOnce(new Error('socket hang up')).resolves({});
    const r = refresher();
    await expect(r.refresh(principal(['approvers']))).resolves.toBeUndefined();
    await r.refresh(principal(['approvers']));
    await r.refresh(principal(['approvers']));
    expect(r.sent()).toHaveLength(2);
    expect(warn).toHaveBeenCalledWith(
      'slack.groups_refresh_failed',
      expect.objectContaining({ principal: 'bob' }),
    );
  });

  it('sends again if the clock goes back', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    const r = refresher();
    r.at(60_000);
    await r.refresh(principal(['approvers']));
    r.at(0);
    await r.refresh(principal(['approvers']));
    expect(r.sent()).toHaveLength(2);
  });
});
