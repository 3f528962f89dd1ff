/**
 * The audit table: append-only records of issued sessions, one item per AccessKeyId (its key, so it
 * joins with CloudTrail), written with a condition that the item does not exist yet.
 */
import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { AuditEvent } from '../audit-events.ts';
import type { Session } from '../core/session.ts';
import { UpstreamUnavailableError } from '../errors.ts';
import { toAttribute, toItem } from './dynamo-item.ts';

export interface AuditTable {
  client: DynamoDBClient;
  tableName: string;
  retentionDays: number;
}

export const sessionKey = (accessKeyId: string): string => `session#${accessKeyId}`;

/** The stored item: the Session itself, plus the keys its indexes need (absent keys keep GSIs sparse). */
export function sessionItem(session: Session, retentionDays: number): Record<string, unknown> {
  const issuedAt = Date.parse(session.issuedAt);
  return {
    pk: sessionKey(session.accessKeyId),
    kind: 'session',
    event: AuditEvent.credentialsIssued,
    sessionId: session.id,
    principalSub: session.principal.sub,
    entitlementId: session.entitlementId,
    roleArn: session.roleArn,
    accessKeyId: session.accessKeyId,
    requestId: session.requestId ?? undefined,
    breakGlass: session.breakGlass ? 'true' : undefined,
    issuedAt: session.issuedAt,
    issuedDay: session.issuedAt.slice(0, 10),
    // DynamoDB's TTL deletes the record after the retention period; nothing else may.
    ttl: Math.floor(issuedAt / 1000) + retentionDays * 86400,
    record: session,
  };
}

/** Writes the audit record of an issued session; throws UpstreamUnavailableError if it is not durable. */
export async function putSession(table: AuditTable, session: Session): Promise<void> {
  try {
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: toItem(sessionItem(session, table.retentionDays)),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    throw new UpstreamUnavailableError('dynamodb', `the audit record could not be written (${name})`, {
      cause: error,
      retryAfterSeconds: 2,
    });
  }
}

export interface AuditEventRecord {
  event: string;
  at: string;
  actor: { sub: string; name: string };
  /** The person whose access this is about (the requester): events are found by it. */
  subjectSub: string;
  requestId: string | null;
  entitlementId: string;
  details: Record<string, unknown>;
}

/**
 * Appends an event of the approval workflow. `key` makes it idempotent where an event must happen
 * once (request.expired); otherwise a random id is used. Returns false if it already existed.
 */
export async function putEvent(table: AuditTable, record: AuditEventRecord, key?: string): Promise<boolean> {
  const pk = `event#${key ?? `${record.event}#${record.requestId ?? record.subjectSub}#${crypto.randomUUID()}`}`;
  try {
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: toItem({
          pk,
          kind: 'event',
          ...record,
          // Absent rather than null: requestId is an index key, and index keys must be strings.
          requestId: record.requestId ?? undefined,
          principalSub: record.subjectSub,
          issuedAt: record.at,
          issuedDay: record.at.slice(0, 10),
          ttl: Math.floor(Date.parse(record.at) / 1000) + table.retentionDays * 86400,
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw new UpstreamUnavailableError('dynamodb', 'the audit event could not be written', { cause: error });
  }
}

/**
 * Records the revocation of a session in its own `revocation` attribute, once: the item must be a
 * session without one. Returns false if it was not (already revoked, or gone).
 */
export async function putRevocation(
  table: AuditTable,
  accessKeyId: string,
  revocation: { at: string; by: { sub: string; name: string }; reason: string },
): Promise<boolean> {
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: sessionKey(accessKeyId) } },
        UpdateExpression: 'SET revocation = :revocation',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revocation)',
        ExpressionAttributeValues: { ':revocation': toAttribute(revocation) },
        ReturnValues: 'NONE',
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw new UpstreamUnavailableError('dynamodb', 'the revocation could not be recorded', { cause: error });
  }
}

/**
 * Records the review of a break-glass session in its own `review` attribute, once: the item must be
 * a break-glass session without a review. Returns false if it was not (already reviewed, or gone).
 */
export async function putReview(
  table: AuditTable,
  accessKeyId: string,
  review: { status: string; reviewer: { sub: string; name: string }; at: string; comment: string },
): Promise<boolean> {
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: sessionKey(accessKeyId) } },
        UpdateExpression: 'SET review = :review',
        ConditionExpression: 'breakGlass = :true AND attribute_not_exists(review)',
        ExpressionAttributeValues: { ':review': toAttribute(review), ':true': { S: 'true' } },
        ReturnValues: 'NONE',
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw new UpstreamUnavailableError('dynamodb', 'the review could not be written', { cause: error });
  }
}
