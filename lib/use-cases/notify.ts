/**
 * Notifications: each new audit record, as it arrives on the table's stream (or from the local
 * notifier), goes to the configured channels in order; and a reminder for each break-glass session
 * left unreviewed.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { findUnreviewedBreakGlass } from '../adapters/audit-query.ts';
import { type AuditTable, putEvent } from '../adapters/audit-table.ts';
import { fromItem } from '../adapters/dynamo-item.ts';
import { type NotifyDeps as ChannelDeps, deliver } from '../adapters/notify.ts';

/**
 * The channels, and Slack's messages with buttons when Slack is configured (slack-notify.ts, which
 * deps.ts wires in: use cases do not call each other).
 */
export type NotifyDeps = ChannelDeps & {
  slack?: ((item: Record<string, unknown>) => Promise<void>) | undefined;
};

import { AuditEvent, LogEvent } from '../audit-events.ts';
import { notificationFor } from '../core/notifications.ts';
import { tamperingOf } from '../core/tamper.ts';
import { toApiTime } from '../core/time.ts';
import { describeError, log } from '../log.ts';

/**
 * Notifies about new audit records, in order. Stops at the first record whose delivery failed and
 * returns its position: the caller (the table's stream, or the local notifier) retries from there,
 * so nothing is skipped; records before it are not sent twice.
 */
export async function notifyRecords(
  deps: NotifyDeps,
  items: Array<Record<string, unknown>>,
): Promise<{ failedAt: number | null }> {
  for (const [position, item] of items.entries()) {
    const notification = notificationFor(item, deps.publicUrl);
    if (notification) {
      try {
        await deliver(notification, deps.channels, deps.metrics);
        log.info(LogEvent.notificationSent, { id: notification.id, detailType: notification.detailType });
      } catch (error) {
        log.error(LogEvent.notificationFailed, {
          id: notification.id,
          detailType: notification.detailType,
          ...describeError(error),
        });
        return { failedAt: position };
      }
    }
    if (!deps.slack) continue;
    // After the other channels: a retry of a failed Slack post may repeat their delivery (receivers
    // drop duplicates by id), while Slack's own posts happen once per record (slack-notify.ts).
    try {
      await deps.slack(item);
    } catch (error) {
      deps.metrics?.count('NotificationFailed', { Channel: 'slack' });
      log.error(LogEvent.notificationFailed, {
        id: String(item.pk),
        channel: 'slack',
        ...describeError(error),
      });
      return { failedAt: position };
    }
  }
  return { failedAt: null };
}

/**
 * The stream's new records, notified in order. A failed delivery is reported as a partial batch
 * failure at that record, so the stream retries from there and nothing is dropped.
 */
export async function notifyStreamRecords(
  deps: NotifyDeps,
  records: DynamoDBRecord[],
  options: { reportTampering: boolean } = { reportTampering: true },
): Promise<DynamoDBBatchResponse> {
  const inserts = records.filter((r) => r.eventName === 'INSERT' && r.dynamodb?.NewImage);
  // The stream's attribute values have the same shape as the SDK's.
  const items = inserts.map((r) => fromItem(r.dynamodb?.NewImage as Record<string, AttributeValue>));
  const { failedAt } = await notifyRecords(deps, items);
  const failed = failedAt === null ? undefined : inserts[failedAt];
  // Changes and removals of session records (the stream's filter passes no others): logged up to
  // the failed record only, since the stream redelivers from there and they would count twice.
  const end = failed ? records.indexOf(failed) : records.length;
  // Only the notify function's log group is watched for tampering: one report, not one per consumer.
  if (options.reportTampering) for (const r of records.slice(0, end)) reportTampering(r);
  return { batchItemFailures: failed ? [{ itemIdentifier: failed.dynamodb?.SequenceNumber ?? '' }] : [] };
}

/** Logs `audit.tampered` (the line the audit-tampering alarm counts) if the record shows tampering. */
function reportTampering(r: DynamoDBRecord): void {
  const tampering = tamperingOf({
    eventName: r.eventName,
    oldImage: r.dynamodb?.OldImage,
    newImage: r.dynamodb?.NewImage,
    userIdentity: r.userIdentity as { type?: string; principalId?: string } | undefined,
  });
  if (!tampering) return;
  log.error(LogEvent.auditTampered, {
    ...tampering,
    eventName: r.eventName,
    sequenceNumber: r.dynamodb?.SequenceNumber,
    approximateAt: r.dynamodb?.ApproximateCreationDateTime,
  });
}

/**
 * Appends a `break-glass.reminder` event, once per session, for each break-glass session still
 * unreviewed `afterMinutes` after it was issued. The event reaches people like any other record.
 */
export async function remindUnreviewed(audit: AuditTable, now: Date, afterMinutes: number): Promise<number> {
  const cutoff = toApiTime(new Date(now.getTime() - afterMinutes * 60_000));
  let sent = 0;
  for await (const s of findUnreviewedBreakGlass(audit, cutoff, now)) {
    const created = await putEvent(
      audit,
      {
        event: AuditEvent.breakGlassReminder,
        at: toApiTime(now),
        actor: { sub: 'hallpass', name: 'hallpass' },
        subjectSub: s.principal.sub,
        requestId: s.requestId,
        entitlementId: s.entitlementId,
        details: { sessionId: s.id, accessKeyId: s.accessKeyId, issuedAt: s.issuedAt },
      },
      `${AuditEvent.breakGlassReminder}#${s.id}`,
    );
    if (created) sent += 1;
  }
  return sent;
}
