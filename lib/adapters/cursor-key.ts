/**
 * The key that signs pagination cursors: 32 random bytes kept in the requests table itself, created
 * by the first listing that needs it (a conditional put, so concurrent cold starts agree on one).
 * No deployment secret to manage; read once per container.
 */
import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { invalidCursor } from '../core/cursor.ts';
import { UpstreamUnavailableError } from '../errors.ts';

const KEY_ITEM = { id: { S: 'meta#cursor-key' } };

async function read(client: DynamoDBClient, tableName: string): Promise<Buffer | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: KEY_ITEM, ConsistentRead: true }),
  );
  return Item?.key?.B ? Buffer.from(Item.key.B) : undefined;
}

async function create(client: DynamoDBClient, tableName: string): Promise<Buffer> {
  const key = randomBytes(32);
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...KEY_ITEM, key: { B: key } },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    return key;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Another container created it first: use theirs.
    const theirs = await read(client, tableName);
    if (!theirs) throw error;
    return theirs;
  }
}

/** The cursor key of a listing; `cursor` is the one the request brings, if any. */
export type CursorKeys = (cursor: string | undefined) => Promise<Buffer>;

/**
 * The cursor key, read once per container (built in lib/deps.ts). A request that brings a cursor
 * never creates it: without a key no cursor can be valid, and a refused request must change nothing
 * (400).
 */
export function createCursorKeys(table: { client: DynamoDBClient; tableName: string }): CursorKeys {
  const { client, tableName } = table;
  let cached: Buffer | undefined;
  return async (cursor) => {
    if (cached) return cached;
    try {
      const key =
        (await read(client, tableName)) ??
        (cursor === undefined ? await create(client, tableName) : undefined);
      if (key) cached = key;
    } catch (error) {
      throw new UpstreamUnavailableError('dynamodb', 'the cursor key could not be read', { cause: error });
    }
    if (!cached) throw invalidCursor();
    return cached;
  };
}
