/**
 * The key that signs pagination cursors: 32 random bytes kept in the requests table itself, created
 * by the first function that needs it (a conditional put, so concurrent cold starts agree on one).
 * No deployment secret to manage; read once per container.
 */
import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { UpstreamUnavailableError } from '../errors.ts';

const KEY_ITEM = { id: { S: 'meta#cursor-key' } };
let cached: Promise<Buffer> | undefined;

async function load(client: DynamoDBClient, tableName: string): Promise<Buffer> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: KEY_ITEM, ConsistentRead: true }),
    );
    if (Item?.key?.B) return Buffer.from(Item.key.B);
    try {
      const key = randomBytes(32);
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
    }
  }
  throw new Error('the cursor key could not be created');
}

export function cursorKey(client: DynamoDBClient, tableName: string): Promise<Buffer> {
  cached ??= load(client, tableName).catch((error) => {
    cached = undefined;
    throw new UpstreamUnavailableError('dynamodb', 'the cursor key could not be read', { cause: error });
  });
  return cached;
}
