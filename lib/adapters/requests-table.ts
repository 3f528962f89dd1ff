/**
 * The requests table: one item per approval request, changed only by single-item conditional writes
 * (no transactions, which DynamoDB implementations such as dynalite lack): decisions replace the item
 * if its `version` is unchanged; a vend consumes a use with a conditional decrement.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { RequestRecord } from '../core/approval.ts';
import { UpstreamUnavailableError } from '../errors.ts';
import { fromItem, toAttribute, toItem } from './dynamo-item.ts';
import { tableCalls } from './table-call.ts';

export interface RequestsTable {
  client: DynamoDBClient;
  tableName: string;
  retentionDays: number;
}

// Attributes that exist only for the indexes and TTL (entitlementId is both a field and an index key).
const INDEX_ATTRIBUTES = ['requesterSub', 'createdKey', 'ttl'] as const;

/** The GSI sort key: creation time to the millisecond and the id, unique and newest-last. */
export const createdKeyOf = (r: Pick<RequestRecord, 'createdAt' | 'id'>) => `${r.createdAt}#${r.id}`;

function toStored(r: RequestRecord, retentionDays: number): Record<string, AttributeValue> {
  return toItem({
    ...r,
    requesterSub: r.requester.sub,
    createdKey: createdKeyOf(r),
    ttl: Math.floor(Date.parse(r.createdAt) / 1000) + retentionDays * 86400,
  });
}

function fromStored(item: Record<string, AttributeValue>): RequestRecord {
  const record = fromItem(item) as Record<string, unknown>;
  for (const key of INDEX_ATTRIBUTES) delete record[key];
  return record as unknown as RequestRecord;
}

const send = tableCalls('the requests table');

export async function createRequest(table: RequestsTable, r: RequestRecord): Promise<void> {
  try {
    await send('store the request', () =>
      table.client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: toStored(r, table.retentionDays),
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      ),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Ids are new, so the item exists only if an earlier attempt of this same write landed (the SDK
    // retried after a lost answer): then it is ours, and stored.
    const stored = await getRequest(table, r.id);
    if (stored?.writeId !== r.writeId) {
      throw new UpstreamUnavailableError('dynamodb', 'the request could not be stored', { cause: error });
    }
  }
}

export async function getRequest(table: RequestsTable, id: string): Promise<RequestRecord | undefined> {
  const { Item } = await send('read the request', () =>
    table.client.send(
      new GetItemCommand({ TableName: table.tableName, Key: { id: { S: id } }, ConsistentRead: true }),
    ),
  );
  return Item?.requesterSub ? fromStored(Item) : undefined;
}

/** Replaces the request if nobody wrote it since `next.version - 1` was read; false if someone did. */
export async function replaceRequest(table: RequestsTable, next: RequestRecord): Promise<boolean> {
  try {
    await send('update the request', () =>
      table.client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: toStored(next, table.retentionDays),
          ConditionExpression: 'version = :read',
          ExpressionAttributeValues: { ':read': { N: String(next.version - 1) } },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The SDK retries a write whose answer was lost: if the first attempt landed, it is ours.
    const stored = await getRequest(table, next.id);
    return stored?.writeId === next.writeId;
  }
}

export interface ConsumeInput {
  id: string;
  requesterSub: string;
  entitlementId: string;
  now: string;
  sessionId: string;
  /** The duration asked for: the approved duration must be at least this. */
  durationSeconds: number;
}

/**
 * Consumes one use in a single conditional write: approved, uses left, window open, the caller's,
 * for this entitlement, for at least the duration asked. Returns the request after the write, or undefined if the condition failed.
 */
export async function consumeUse(
  table: RequestsTable,
  input: ConsumeInput,
): Promise<RequestRecord | undefined> {
  try {
    const { Attributes } = await send('consume the approval', () =>
      table.client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: { id: { S: input.id } },
          UpdateExpression:
            'SET usesRemaining = usesRemaining - :one, version = version + :one, consumptions = list_append(consumptions, :use)',
          ConditionExpression:
            '#state = :approved AND usesRemaining > :zero AND validUntil > :now AND requesterSub = :caller AND entitlementId = :entitlement AND durationSeconds >= :duration',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':zero': { N: '0' },
            ':approved': { S: 'approved' },
            ':now': { S: input.now },
            ':caller': { S: input.requesterSub },
            ':entitlement': { S: input.entitlementId },
            ':duration': { N: String(input.durationSeconds) },
            ':use': toAttribute([{ sessionId: input.sessionId, at: input.now }]),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return Attributes ? fromStored(Attributes) : undefined;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Records on the request that a consumed use produced no credentials, and why. */
export async function recordUnissued(
  table: RequestsTable,
  id: string,
  entry: { sessionId: string; at: string; reason: string },
): Promise<void> {
  await send('record the unissued use', () =>
    table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { id: { S: id } },
        UpdateExpression: 'SET unissued = list_append(unissued, :entry), version = version + :one',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':entry': toAttribute([entry]), ':one': { N: '1' } },
      }),
    ),
  );
}

export interface IndexPage {
  items: RequestRecord[];
  more: boolean;
}

/** One page of an index, newest first, strictly older than `before` (a createdKey) when given. */
export async function queryIndex(
  table: RequestsTable,
  index: 'byRequester' | 'byEntitlement',
  key: string,
  before: string | undefined,
  limit: number,
  startKey?: Record<string, AttributeValue>,
): Promise<IndexPage & { lastKey: Record<string, AttributeValue> | undefined }> {
  const keyName = index === 'byRequester' ? 'requesterSub' : 'entitlementId';
  const { Items, LastEvaluatedKey } = await send('list requests', () =>
    table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: index,
        KeyConditionExpression: before ? '#k = :k AND createdKey < :before' : '#k = :k',
        ExpressionAttributeNames: { '#k': keyName },
        ExpressionAttributeValues: { ':k': { S: key }, ...(before ? { ':before': { S: before } } : {}) },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    ),
  );
  return {
    items: (Items ?? []).map(fromStored),
    more: LastEvaluatedKey !== undefined,
    lastKey: LastEvaluatedKey,
  };
}
