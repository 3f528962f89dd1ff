/**
 * The audit table's stream -> notifications. Runs after the API call has returned, so delivery never
 * blocks or fails it. A failed delivery is reported as a partial batch failure: Lambda retries from
 * that record (bounded in serverless.yml), then sends it to the dead-letter queue; never dropped.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { fromItem } from '../lib/adapters/dynamo-item.ts';
import { config } from '../lib/config.ts';
import { notifyRecords } from '../lib/use-cases/notify.ts';

const { notifications } = config();
const deps = {
  publicUrl: notifications.publicUrl,
  channels: {
    ...(notifications.eventBus
      ? { eventBridge: { client: new EventBridgeClient({ maxAttempts: 3 }), bus: notifications.eventBus } }
      : {}),
    ...(notifications.webhookUrl ? { webhookUrl: notifications.webhookUrl } : {}),
  },
};

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const inserts = event.Records.filter((r) => r.eventName === 'INSERT' && r.dynamodb?.NewImage);
  // The stream's attribute values have the same shape as the SDK's.
  const items = inserts.map((r) => fromItem(r.dynamodb?.NewImage as Record<string, AttributeValue>));
  const { failedAt } = await notifyRecords(deps, items);
  const failed = failedAt === null ? undefined : inserts[failedAt];
  return { batchItemFailures: failed ? [{ itemIdentifier: failed.dynamodb?.SequenceNumber ?? '' }] : [] };
}
