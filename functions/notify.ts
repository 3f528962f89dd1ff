/**
 * The audit table's stream -> notifications. Runs after the API call has returned, so delivery never
 * blocks or fails it. A failed delivery is reported as a partial batch failure: Lambda retries from
 * that record (bounded in serverless.yml), then sends it to the dead-letter queue; never dropped.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { notifyDeps } from '../lib/deps.ts';
import { notifyStreamRecords } from '../lib/use-cases/notify.ts';

const deps = notifyDeps();

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  try {
    return await notifyStreamRecords(deps, event.Records);
  } finally {
    deps.metrics?.flush();
  }
}
