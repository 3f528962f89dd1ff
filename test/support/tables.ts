/**
 * The test file's own tables (created from serverless.yml's definitions, so that files running in
 * parallel never see each other's items) and readers to assert what changed.
 */
import { randomBytes } from 'node:crypto';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { fromItem } from '../../lib/adapters/dynamo-item.ts';
import { ensureTables } from '../../local/dynamodb.ts';

let client: DynamoDBClient | undefined;

export function dynamodb(): DynamoDBClient {
  client ??= new DynamoDBClient({ region: 'us-east-1', endpoint: inject('stack').dynamodb });
  return client;
}

/** Creates fresh tables for this file and points HALLPASS_*_TABLE at them. Call before importing handlers. */
export async function useIsolatedTables(): Promise<{ audit: string; requests: string }> {
  const names = await ensureTables(dynamodb(), `t${randomBytes(4).toString('hex')}`);
  process.env.HALLPASS_AUDIT_TABLE = names.AuditTable;
  process.env.HALLPASS_REQUESTS_TABLE = names.RequestsTable;
  process.env.HALLPASS_SLACK_TABLE = names.SlackTable;
  return { audit: names.AuditTable as string, requests: names.RequestsTable as string };
}

/** Every item of a table (test tables are small: a scan is fine here, never in the service). */
export async function allItems(table: 'audit' | 'requests'): Promise<Array<Record<string, unknown>>> {
  const TableName =
    table === 'audit' ? process.env.HALLPASS_AUDIT_TABLE : process.env.HALLPASS_REQUESTS_TABLE;
  const items: Array<Record<string, unknown>> = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb().send(
      new ScanCommand({ TableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) items.push(fromItem(item));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Both tables' contents, to compare before and after a request that must change nothing. */
export async function snapshot(): Promise<string> {
  return JSON.stringify([await allItems('audit'), await allItems('requests')]);
}
