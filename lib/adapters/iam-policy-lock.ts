/**
 * One lock item per target role in the requests table (`revocation-lock#<role ARN>`), because IAM has
 * no conditional write: whoever holds the lease is the only writer of that role's revocation policy.
 * The lease is taken with a conditional update (free, or its lease over) and given back with one
 * conditional on the holder, which also stores the document just written: the next holder merges
 * onto it as well as onto what IAM answers, so IAM's eventually consistent reads cannot lose an
 * entry written a moment before.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { UpstreamUnavailableError } from '../errors.ts';
import type { RequestsTable } from './requests-table.ts';

export const lockKey = (roleArn: string): string => `revocation-lock#${roleArn}`;

export interface HeldLock {
  owner: string;
  /** The document the previous holder wrote, when it gave the lease back in time. */
  lastDocument: string | undefined;
}

const conditionFailed = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

const dynamoError = (error: unknown) =>
  new UpstreamUnavailableError('dynamodb', 'the revocation lock could not be read or written', {
    cause: error,
  });

/** Takes the role's lease for `leaseMs`; undefined when someone else holds it. */
export async function acquireRoleLock(
  table: RequestsTable,
  roleArn: string,
  now: Date,
  leaseMs: number,
): Promise<HeldLock | undefined> {
  const owner = crypto.randomUUID();
  try {
    const out = await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { id: { S: lockKey(roleArn) } },
        UpdateExpression: 'SET #owner = :owner, leaseUntil = :lease',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':owner': { S: owner },
          ':lease': { N: String(now.getTime() + leaseMs) },
          ':now': { N: String(now.getTime()) },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { owner, lastDocument: out.Attributes?.document?.S };
  } catch (error) {
    if (conditionFailed(error)) return undefined;
    throw dynamoError(error);
  }
}

/**
 * Gives the lease back, recording the document written (undefined: nothing was written). False when
 * the lease had already passed to someone else: what was written may have been overwritten since.
 */
export async function releaseRoleLock(
  table: RequestsTable,
  roleArn: string,
  owner: string,
  document: string | undefined,
): Promise<boolean> {
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { id: { S: lockKey(roleArn) } },
        UpdateExpression:
          document === undefined ? 'SET leaseUntil = :zero' : 'SET leaseUntil = :zero, document = :doc',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':owner': { S: owner },
          ':zero': { N: '0' },
          ...(document === undefined ? {} : { ':doc': { S: document } }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw dynamoError(error);
  }
}
