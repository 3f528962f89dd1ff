/**
 * Notifications: the notify function fed with real stream records of real audit items, delivering
 * to a real local HTTP receiver (including one that fails and then succeeds), the local notifier of
 * `npm start`, the review reminder, and EventBridge's exact event shape (aws-sdk-client-mock).
 */
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deliver } from '../../lib/adapters/notify.ts';
import { notificationFor } from '../../lib/core/notifications.ts';
import { remindUnreviewed } from '../../lib/use-cases/notify.ts';
import { startLocalNotifier } from '../../local/notifier.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver.ts';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { dynamodb, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

let receiver: WebhookReceiver;
let vend: unknown;
let createRequest: unknown;
let deny: unknown;
let auditTable = '';
const WHY = 'INC-501: payments database is refusing connections';

async function rawItems(): Promise<Array<Record<string, AttributeValue>>> {
  const { Items } = await dynamodb().send(new ScanCommand({ TableName: auditTable, ConsistentRead: true }));
  return Items ?? [];
}

/** The stream event DynamoDB would send for these new items. */
function streamEvent(items: Array<Record<string, AttributeValue>>): DynamoDBStreamEvent {
  return {
    Records: items.map((NewImage, i) => ({
      eventID: `e${i}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        NewImage: NewImage as never,
        SequenceNumber: String(1000 + i),
        StreamViewType: 'NEW_IMAGE',
      },
    })),
  };
}

async function breakGlass(): Promise<{ id: string; accessKeyId: string; expiresAt: string }> {
  const answer = await invoke(vend, {
    path: '/v1/credentials',
    token: await tokenFor('olga', { groups: ['oncall'], name: 'Olga Oncall' }),
    body: { entitlementId: 'prod-admin', breakGlass: { justification: WHY } },
  });
  expect(answer.status).toBe(200);
  return {
    id: answer.body.session.id,
    accessKeyId: answer.body.credentials.accessKeyId,
    expiresAt: answer.body.session.expiresAt,
  };
}

beforeAll(async () => {
  await useLocalSts();
  auditTable = (await useIsolatedTables()).audit;
  receiver = await startWebhookReceiver({ port: 0 });
  process.env.HALLPASS_WEBHOOK_URL = receiver.url;
  process.env.HALLPASS_PUBLIC_URL = 'https://hallpass.example.com/v1';
  delete process.env.HALLPASS_EVENT_BUS;
  vend = (await import('../../functions/credentials.ts')).handler;
  createRequest = (await import('../../functions/requests-create.ts')).handler;
  deny = (await import('../../functions/requests-deny.ts')).handler;
});
afterAll(() => receiver.close());

describe('the notify function, fed by the audit table stream', () => {
  it('sends an urgent break-glass message saying who, what, why, until when, with a link', async () => {
    const before = new Set((await rawItems()).map((i) => i.pk?.S));
    const session = await breakGlass();
    const fresh = (await rawItems()).filter((i) => !before.has(i.pk?.S));
    vi.resetModules();
    const { handler } = await import('../../functions/notify.ts');
    receiver.messages.length = 0;

    const result = await handler(streamEvent(fresh));

    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.messages).toHaveLength(1);
    const text = receiver.messages[0]?.text ?? '';
    expect(text).toMatch(/^\[URGENT\] .*Break glass/);
    expect(text).toContain('Olga Oncall (olga)');
    expect(text).toContain('prod-admin');
    expect(text).toContain(WHY);
    expect(text).toContain(`until ${session.expiresAt}`);
    expect(text).toContain(`https://hallpass.example.com/v1/sessions/${session.id}`);
    expect(text).toContain(session.accessKeyId);
  });

  it('retries a failed delivery from the failed record, loses nothing and sends nothing twice', async () => {
    const before = new Set((await rawItems()).map((i) => i.pk?.S));
    await breakGlass();
    await breakGlass();
    const fresh = (await rawItems()).filter((i) => !before.has(i.pk?.S));
    fresh.sort((a, b) => String(a.issuedAt?.S).localeCompare(String(b.issuedAt?.S)));
    vi.resetModules();
    const { handler } = await import('../../functions/notify.ts');
    receiver.messages.length = 0;
    receiver.failNext(2);

    // Lambda retries the batch from the reported record, as the stream does.
    let records = streamEvent(fresh).Records;
    const attempts: string[][] = [];
    for (let attempt = 0; attempt < 5 && records.length; attempt++) {
      const { batchItemFailures } = await handler({ Records: records });
      attempts.push(batchItemFailures.map((f) => f.itemIdentifier));
      const from = records.findIndex(
        (r) => r.dynamodb?.SequenceNumber === batchItemFailures[0]?.itemIdentifier,
      );
      records = from < 0 ? [] : records.slice(from);
    }

    expect(attempts).toEqual([['1000'], ['1000'], []]);
    expect(receiver.messages).toHaveLength(2);
  });

  it('tells approvers of a new request and the requester of a denial; nothing for an unapproved entitlement', async () => {
    const before = new Set((await rawItems()).map((i) => i.pk?.S));
    const created = await invoke(createRequest, {
      path: '/v1/requests',
      token: await tokenFor('alice', { groups: ['engineers'], name: 'Alice' }),
      body: { entitlementId: 'prod-admin', justification: 'Rotate the TLS certificate', ticket: 'CHG-9' },
    });
    await invoke(createRequest, {
      path: '/v1/requests',
      token: await tokenFor('alice', { groups: ['engineers'], name: 'Alice' }),
      body: { entitlementId: 'sandbox-readonly', justification: 'Look at the sandbox logs' },
    });
    await invoke(deny, {
      method: 'POST',
      path: `/v1/requests/${created.body.id}/deny`,
      token: await tokenFor('bob', { groups: ['approvers'], name: 'Bob' }),
      body: { reason: 'wait for the change window' },
      pathParameters: { id: created.body.id },
    });
    const fresh = (await rawItems()).filter((i) => !before.has(i.pk?.S));
    fresh.sort((a, b) => String(a.pk?.S).localeCompare(String(b.pk?.S)));
    vi.resetModules();
    const { handler } = await import('../../functions/notify.ts');
    receiver.messages.length = 0;

    await handler(streamEvent(fresh));

    const texts = receiver.messages.map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(texts.find((t) => t.includes('asks for'))).toContain(
      'Alice (alice) asks for *prod-admin* for 900 s: Rotate the TLS certificate',
    );
    expect(texts.find((t) => t.includes('denied'))).toContain(
      'was denied by Bob (bob): wait for the change window',
    );
  });
});

describe('EventBridge', () => {
  it('puts one event on the bus with source hallpass, the detail type and the documented detail', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const session = {
      id: 'abcdefghabcdefgh',
      issuedAt: '2026-11-28T03:00:00Z',
      expiresAt: '2026-11-28T03:15:00Z',
      principal: { sub: 'olga', name: 'Olga', groups: ['oncall'] },
      entitlementId: 'prod-admin',
      roleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin',
      accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
      breakGlass: { justification: WHY, review: { status: 'pending' } },
    };
    const notification = notificationFor(
      { pk: 'session#ASIAEXAMPLEEXAMPLE00', kind: 'session', record: session },
      'https://hallpass.example.com/v1',
    );

    await deliver(notification as NonNullable<typeof notification>, {
      eventBridge: { client: new EventBridgeClient({ region: 'us-east-1' }), bus: 'hallpass-prod' },
    });

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entry = calls[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      Source: 'hallpass',
      DetailType: 'hallpass.break-glass.issued',
      EventBusName: 'hallpass-prod',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toEqual({
      id: 'session#ASIAEXAMPLEEXAMPLE00',
      urgent: true,
      audience: 'approvers-and-auditors',
      sessionId: 'abcdefghabcdefgh',
      principal: { sub: 'olga', name: 'Olga' },
      entitlementId: 'prod-admin',
      roleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin',
      accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
      issuedAt: '2026-11-28T03:00:00Z',
      expiresAt: '2026-11-28T03:15:00Z',
      justification: WHY,
      link: 'https://hallpass.example.com/v1/sessions/abcdefghabcdefgh',
    });
    eventBridge.restore();
  });

  it('fails the delivery (to be retried) when EventBridge refuses the entry', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const notification = notificationFor({
      pk: 'event#x',
      kind: 'event',
      event: 'request.denied',
      actor: { sub: 'b', name: 'b' },
      details: { reason: 'no' },
    });
    await expect(
      deliver(notification as NonNullable<typeof notification>, {
        eventBridge: { client: new EventBridgeClient({ region: 'us-east-1' }), bus: 'b' },
      }),
    ).rejects.toThrow(/InternalFailure/);
    eventBridge.restore();
  });
});

describe('local mode and the review reminder', () => {
  it('the local notifier of npm start delivers a break-glass message, retrying a failing receiver', async () => {
    const local = await startWebhookReceiver({ port: 0 });
    const notifier = startLocalNotifier({
      audit: { client: dynamodb(), tableName: auditTable, retentionDays: 400 },
      channels: { webhookUrl: local.url },
      intervalMs: 3_600_000, // driven by tick() below
      reminderAfterMinutes: 60,
    });
    try {
      await notifier.tick(); // takes in what exists already
      local.messages.length = 0;
      local.failNext(1);
      const session = await breakGlass();
      await notifier.tick(); // fails once
      expect(local.messages).toHaveLength(0);
      for (let i = 0; i < 20 && local.messages.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await notifier.tick();
      }
      expect(local.messages.map((m) => m.text).filter((t) => t.includes(session.id))).toHaveLength(1);
    } finally {
      notifier.stop();
      await local.close();
    }
  });

  it('reminds auditors once about a break-glass session still unreviewed after the set time', async () => {
    const session = await breakGlass();
    const audit = { client: dynamodb(), tableName: auditTable, retentionDays: 400 };
    expect(await remindUnreviewed(audit, new Date(), 60)).toBe(0);
    const later = new Date(Date.now() + 61 * 60_000);
    const first = await remindUnreviewed(audit, later, 60);
    expect(first).toBeGreaterThanOrEqual(1);
    expect(await remindUnreviewed(audit, later, 60)).toBe(0);
    const reminder = (await rawItems()).find((i) => i.pk?.S === `event#break-glass.reminder#${session.id}`);
    expect(reminder).toBeDefined();
    const notification = notificationFor({
      pk: reminder?.pk?.S,
      kind: 'event',
      event: 'break-glass.reminder',
      principalSub: 'olga',
      entitlementId: 'prod-admin',
      details: { sessionId: session.id, issuedAt: 'x' },
    });
    expect(notification).toMatchObject({
      urgent: true,
      audience: 'auditors',
      detailType: 'hallpass.break-glass.review-reminder',
    });
  });
});
