import { queryPartition } from '../adapters/audit-query.ts';
import { type AuditTable, putEvent } from '../adapters/audit-table.ts';
import { type Channels, deliver } from '../adapters/notify.ts';
import { AuditEvent } from '../audit-events.ts';
import { notificationFor } from '../core/notifications.ts';
import type { Session } from '../core/session.ts';
import { toApiTime } from '../core/session.ts';
import { describeError, log } from '../log.ts';

export interface NotifyDeps {
  channels: Channels;
  publicUrl: string | undefined;
}

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
    if (!notification) continue;
    try {
      await deliver(notification, deps.channels);
      log.info('notification.sent', { id: notification.id, detailType: notification.detailType });
    } catch (error) {
      log.error('notification.failed', {
        id: notification.id,
        detailType: notification.detailType,
        ...describeError(error),
      });
      return { failedAt: position };
    }
  }
  return { failedAt: null };
}

/**
 * Appends a `break-glass.reminder` event, once per session, for each break-glass session still
 * unreviewed `afterMinutes` after it was issued. The event reaches people like any other record.
 */
export async function remindUnreviewed(audit: AuditTable, now: Date, afterMinutes: number): Promise<number> {
  const cutoff = toApiTime(new Date(now.getTime() - afterMinutes * 60_000));
  let key: Awaited<ReturnType<typeof queryPartition>>['next'];
  let sent = 0;
  do {
    const page = await queryPartition(
      audit.client,
      audit.tableName,
      {
        index: 'byBreakGlass',
        hash: 'true',
        to: cutoff,
        filters: { kind: 'session', review: null },
        notExpiredAfter: Math.floor(now.getTime() / 1000),
      },
      key,
      100,
    );
    for (const item of page.items) {
      const s = item.record as Session;
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
        `break-glass.reminder#${s.id}`,
      );
      if (created) sent += 1;
    }
    key = page.next;
  } while (key);
  return sent;
}
