import { type AuditEventRecord, type AuditTable, putEvent } from '../adapters/audit-table.ts';
import type { RequestsTable } from '../adapters/requests-table.ts';
import type { AuditEventId } from '../audit-events.ts';
import type { Catalog } from '../catalog.ts';
import type { RequestRecord } from '../core/approval.ts';
import { toApiTime } from '../core/session.ts';
import { describeError, log } from '../log.ts';

/** What the approval use cases need: the catalog, both tables and the clock. */
export interface RequestDeps {
  catalog: Catalog;
  requests: RequestsTable;
  audit: AuditTable;
  now: () => Date;
}

/**
 * Appends an audit event of the approval workflow. The request item itself keeps the full history
 * (approvals, denial, cancellation, uses); if the event cannot be written, the decision stands and
 * the failure is logged for operators rather than reported to a caller whose action succeeded.
 */
export async function recordEvent(
  deps: RequestDeps,
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
    log.error('audit.event_unwritten', { lostEvent: event, requestId: r.id, ...describeError(error) });
  }
}

/** Writes `request.expired` once, the first time anyone observes that a request has expired. */
export async function noteExpiry(deps: RequestDeps, r: RequestRecord, status: string): Promise<void> {
  if (status !== 'expired' || (r.state !== 'pending' && r.state !== 'approved')) return;
  await recordEvent(
    deps,
    'request.expired',
    r,
    { sub: 'hallpass', name: 'hallpass' },
    { was: r.state },
    `request.expired#${r.id}`,
  );
}
