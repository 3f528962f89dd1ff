/**
 * Reads of the audit table, always by key or by index (never a Scan): one partition of one index,
 * newest first, within an issuedAt range, with the remaining filters applied by DynamoDB.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { BreakGlassRecord, Session } from '../core/session.ts';
import { UpstreamUnavailableError } from '../errors.ts';
import { sessionKey } from './audit-table.ts';
import { fromItem } from './dynamo-item.ts';

export type AuditIndex =
  | 'byPrincipal'
  | 'byEntitlement'
  | 'byRole'
  | 'byRequest'
  | 'byBreakGlass'
  | 'byDay'
  | 'bySessionId';

/** The partition attribute of each index (all sort on issuedAt, except bySessionId). */
export const INDEX_HASH: Record<AuditIndex, string> = {
  byPrincipal: 'principalSub',
  byEntitlement: 'entitlementId',
  byRole: 'roleArn',
  byRequest: 'requestId',
  byBreakGlass: 'breakGlass',
  byDay: 'issuedDay',
  bySessionId: 'sessionId',
};

export interface PartitionQuery {
  index: AuditIndex;
  hash: string;
  /** issuedAt bounds, inclusive, as API times. */
  from?: string;
  to?: string;
  /** Equality filters on top-level string attributes; `null` means the attribute must be absent. */
  filters: Record<string, string | null>;
  /** Items whose `ttl` (epoch seconds) is at or before this are past retention: hidden. */
  notExpiredAfter: number;
}

export type StoredItem = Record<string, unknown>;
export type ItemKey = Record<string, string>;

async function send<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new UpstreamUnavailableError(
      'dynamodb',
      `the audit table could not be read (${(error as Error).name})`,
      {
        cause: error,
        retryAfterSeconds: 1,
      },
    );
  }
}

/** The key of an item in an index, for resuming just after it. */
export function keyOf(item: StoredItem, index: AuditIndex): ItemKey {
  const key: ItemKey = { pk: String(item.pk), [INDEX_HASH[index]]: String(item[INDEX_HASH[index]]) };
  if (index !== 'bySessionId') key.issuedAt = String(item.issuedAt);
  return key;
}

/** One page of one partition. */
export async function queryPartition(
  client: DynamoDBClient,
  tableName: string,
  q: PartitionQuery,
  startKey: ItemKey | undefined,
  limit: number,
): Promise<{ items: StoredItem[]; next: ItemKey | undefined }> {
  const names: Record<string, string> = { '#h': INDEX_HASH[q.index], '#ttl': 'ttl' };
  const values: Record<string, AttributeValue> = {
    ':h': { S: q.hash },
    ':retained': { N: String(q.notExpiredAfter) },
  };
  let keyCondition = '#h = :h';
  if (q.from !== undefined || q.to !== undefined) {
    names['#at'] = 'issuedAt';
    if (q.from !== undefined) values[':from'] = { S: q.from };
    if (q.to !== undefined) values[':to'] = { S: q.to };
    keyCondition +=
      q.from !== undefined && q.to !== undefined
        ? ' AND #at BETWEEN :from AND :to'
        : q.from !== undefined
          ? ' AND #at >= :from'
          : ' AND #at <= :to';
  }
  const filters = ['#ttl > :retained'];
  Object.entries(q.filters).forEach(([attribute, value], i) => {
    names[`#f${i}`] = attribute;
    if (value === null) filters.push(`attribute_not_exists(#f${i})`);
    else {
      values[`:f${i}`] = { S: value };
      filters.push(`#f${i} = :f${i}`);
    }
  });
  const { Items, LastEvaluatedKey } = await send(() =>
    client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: q.index,
        KeyConditionExpression: keyCondition,
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey
          ? Object.fromEntries(Object.entries(startKey).map(([k, v]) => [k, { S: v }]))
          : undefined,
      }),
    ),
  );
  const next = LastEvaluatedKey
    ? Object.fromEntries(Object.entries(LastEvaluatedKey).map(([k, v]) => [k, v.S ?? '']))
    : undefined;
  return { items: (Items ?? []).map(fromItem), next };
}

/** The session record of an AccessKeyId (the table's own key), or undefined. */
export async function getSessionItem(
  client: DynamoDBClient,
  tableName: string,
  accessKeyId: string,
): Promise<StoredItem | undefined> {
  const { Item } = await send(() =>
    client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: sessionKey(accessKeyId) } } })),
  );
  return Item ? fromItem(Item) : undefined;
}

/**
 * The Session of a stored session item. A break-glass review is kept in its own top-level attribute
 * (`review`), the only one the review route may write, and shown inside `breakGlass` here.
 */
export function sessionOf(item: StoredItem): Session {
  const record = item.record as Session;
  const review = item.review as BreakGlassRecord['review'] | undefined;
  if (!review || !record.breakGlass) return record;
  return { ...record, breakGlass: { ...record.breakGlass, review } };
}
