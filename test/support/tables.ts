/** Reads the test run's tables and the local STS's bookkeeping, to assert what changed. */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { fromItem } from '../../lib/adapters/dynamo-item.ts';

let client: DynamoDBClient | undefined;

export function dynamodb(): DynamoDBClient {
  client ??= new DynamoDBClient({ region: 'us-east-1', endpoint: inject('stack').dynamodb });
  return client;
}

/** Every item of a table (test tables are small: a scan is fine here, never in the service). */
export async function allItems(table: 'audit' | 'requests'): Promise<Array<Record<string, unknown>>> {
  const stack = inject('stack');
  const TableName = table === 'audit' ? stack.auditTable : stack.requestsTable;
  const items: Array<Record<string, unknown>> = [];
  let ExclusiveStartKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await dynamodb().send(
      new ScanCommand({ TableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) items.push(fromItem(item));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
