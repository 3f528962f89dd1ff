/**
 * The audit table's stream -> Slack (the request messages with their buttons, their updates, the
 * requester's direct message, the security channel). A second consumer of the stream beside notify:
 * its own retries and dead letters, so that Slack being down holds back no other channel. Without
 * Slack settings it has nothing to do.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { slackStreamDeps } from '../lib/deps.ts';
import { notifyStreamRecords } from '../lib/use-cases/notify.ts';

const deps = slackStreamDeps();

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  if (!deps) return { batchItemFailures: [] };
  try {
    return await notifyStreamRecords(deps, event.Records, { reportTampering: false });
  } finally {
    deps.metrics?.flush();
  }
}
