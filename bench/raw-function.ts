/**
 * The baseline: the AWS calls a vend makes, made directly with the AWS SDK and nothing else, as the
 * smallest function that did hallpass's AWS work would make them. The hot path calls `rawVend` in
 * process; the cold start bundles this file exactly as serverless.yml bundles the functions and calls
 * `handler` in a fresh process. The clients are configured as lib/deps.ts configures hallpass's
 * (bounded retries, the same timeouts), so that only hallpass's own work differs.
 */
import { type AttributeValue, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, type AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';

export interface RawInput {
  /** AssumeRole's parameters, exactly as hallpass sends them (from planSession). */
  assumeRole: AssumeRoleCommandInput;
  tableName: string;
  /** An audit item as hallpass writes it; its key and AccessKeyId are set from AssumeRole's answer. */
  item: Record<string, AttributeValue>;
}

export interface RawClients {
  sts: STSClient;
  dynamodb: DynamoDBClient;
}

const CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
} as const;

export function rawClients(): RawClients {
  return { sts: new STSClient(CLIENT_OPTIONS), dynamodb: new DynamoDBClient(CLIENT_OPTIONS) };
}

/** AssumeRole, then the conditional audit put keyed by the new AccessKeyId; returns that id. */
export async function rawVend(clients: RawClients, input: RawInput): Promise<string> {
  const output = await clients.sts.send(new AssumeRoleCommand(input.assumeRole));
  const accessKeyId = output.Credentials?.AccessKeyId;
  if (!accessKeyId) throw new Error('AssumeRole answered without credentials');
  await clients.dynamodb.send(
    new PutItemCommand({
      TableName: input.tableName,
      Item: { ...input.item, pk: { S: `session#${accessKeyId}` }, accessKeyId: { S: accessKeyId } },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return accessKeyId;
}

let clients: RawClients | undefined;

/** The cold-start entry point: clients built on first use, as a Lambda function would. */
export async function handler(input: RawInput): Promise<{ statusCode: number; body: string }> {
  clients ??= rawClients();
  const accessKeyId = await rawVend(clients, input);
  return { statusCode: 200, body: JSON.stringify({ accessKeyId }) };
}
