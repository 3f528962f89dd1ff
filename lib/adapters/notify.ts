/**
 * Delivery of a notification to its channels: an EventBridge bus (source `hallpass`, the documented
 * detail-type and detail) and a Slack-compatible incoming webhook. Throws if any channel failed, so
 * that the caller retries; never logs or sends a secret (notifications carry none).
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Notification } from '../core/notifications.ts';
import type { Metrics } from './metrics.ts';

export interface Channels {
  eventBridge?: { client: EventBridgeClient; bus: string };
  webhookUrl?: string;
}

/** Where notifications go, and the public URL their links point at. */
export interface NotifyDeps {
  channels: Channels;
  publicUrl: string | undefined;
  /** Counts failed deliveries by channel (NotificationFailed). */
  metrics?: Metrics | undefined;
}

export function eventDetail(n: Notification): Record<string, unknown> {
  return { id: n.id, urgent: n.urgent, audience: n.audience, ...n.detail };
}

async function toEventBridge(n: Notification, target: NonNullable<Channels['eventBridge']>): Promise<void> {
  const result = await target.client.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'hallpass',
          DetailType: n.detailType,
          Detail: JSON.stringify(eventDetail(n)),
          EventBusName: target.bus,
        },
      ],
    }),
  );
  if (result.FailedEntryCount) {
    throw new Error(`EventBridge refused the event: ${result.Entries?.[0]?.ErrorCode ?? 'unknown error'}`);
  }
}

async function toWebhook(n: Notification, url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: n.urgent ? `[URGENT] ${n.text}` : n.text }),
    signal: AbortSignal.timeout(3000),
  });
  if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
}

/**
 * Sends to every configured channel; counts each channel that failed (NotificationFailed), and
 * throws an error naming them.
 */
export async function deliver(n: Notification, channels: Channels, metrics?: Metrics): Promise<void> {
  const results = await Promise.allSettled([
    channels.eventBridge ? toEventBridge(n, channels.eventBridge) : undefined,
    channels.webhookUrl ? toWebhook(n, channels.webhookUrl) : undefined,
  ]);
  const failures = results.flatMap((r, i) => {
    if (r.status !== 'rejected') return [];
    const channel = i === 0 ? 'eventbridge' : 'webhook';
    metrics?.count('NotificationFailed', { Channel: channel });
    return [`${channel}: ${(r.reason as Error).message}`];
  });
  if (failures.length) throw new Error(`notification ${n.id} not delivered (${failures.join('; ')})`);
}
