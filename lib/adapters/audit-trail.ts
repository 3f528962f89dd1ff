/**
 * The audit trail of the approval workflow: one event per change of a request, appended to the audit
 * table. Writing it never undoes the change it records (see recordEvent).
 */
import { AuditEvent, type AuditEventId, LogEvent } from '../audit-events.ts';
import type { RequestRecord } from '../core/approval.ts';
import { toApiTime } from '../core/time.ts';
import { describeError, log } from '../log.ts';
import { type AuditEventRecord, type AuditTable, putEvent } from './audit-table.ts';
import type { Metrics } from './metrics.ts';

/** Where the trail is written, and the clock that dates its events. */
export interface AuditTrail {
  audit: AuditTable;
  now: () => Date;
  /** Counts events that could not be written (AuditWriteFailed). */
  metrics?: Metrics;
}

/**
 * Appends an audit event of the approval workflow. The request item itself keeps the full history
 * (approvals, denial, cancellation, uses); if the event cannot be written, the decision stands and
 * the failure is logged for operators rather than reported to a caller whose action succeeded.
 */
export async function recordEvent(
  deps: AuditTrail,
  event: AuditEventId,
  r: RequestRecord,
  actor: { sub: string; name: string },
  details: Record<string, unknown> = {},
  onceKey?: string,
): Promise<void> {
  const record: AuditEventRecord = {
    event,
    at: toApiTime(deps.now()),
    actor,
    subjectSub: r.requester.sub,
    requestId: r.id,
    entitlementId: r.entitlementId,
    details,
  };
  try {
    if (await putEvent(deps.audit, record, onceKey))
      log.info(event, { requestId: r.id, actor: actor.sub, ...details });
  } catch (error) {
    deps.metrics?.count('AuditWriteFailed', {});
    log.error(LogEvent.auditEventUnwritten, { lostEvent: event, requestId: r.id, ...describeError(error) });
  }
}

/** Writes `request.expired` once, the first time anyone observes that a request has expired. */
export async function noteExpiry(deps: AuditTrail, r: RequestRecord, status: string): Promise<void> {
  if (status !== 'expired' || (r.state !== 'pending' && r.state !== 'approved')) return;
  await recordEvent(
    deps,
    AuditEvent.requestExpired,
    r,
    { sub: 'hallpass', name: 'hallpass' },
    { was: r.state },
    `${AuditEvent.requestExpired}#${r.id}`,
  );
}
