/**
 * POST /v1/sessions/{id}/review: an auditor's verdict on a break-glass session, written to the
 * session's own review attribute (once) and appended to the trail as `session.reviewed`.
 */
import { findSessionById } from '../adapters/audit-query.ts';
import { type AuditTable, putEvent, putReview } from '../adapters/audit-table.ts';
import { AuditEvent, LogEvent } from '../audit-events.ts';
import type { Catalog } from '../core/catalog.ts';
import { isAuditor } from '../core/catalog.ts';
import type { Principal } from '../core/principal.ts';
import type { Session } from '../core/session.ts';
import { toApiTime } from '../core/time.ts';
import { ConflictError, ForbiddenError, NotFoundError, SelfApprovalError } from '../errors.ts';
import { describeError, log } from '../log.ts';

export interface ReviewDeps {
  catalog: Catalog;
  audit: AuditTable;
  now: () => Date;
}

/**
 * An auditor's verdict on a break-glass session: auditors only (403), never on their own session
 * (403 self_approval_forbidden), break-glass sessions only and once (409). The review is written to
 * the session's own `review` attribute with a condition that none exists, and `session.reviewed` is
 * appended to the audit trail.
 */
export async function reviewSession(
  deps: ReviewDeps,
  principal: Principal,
  id: string,
  verdict: { status: 'justified' | 'unjustified'; comment: string },
): Promise<Session> {
  if (!isAuditor(deps.catalog, principal))
    throw new ForbiddenError('only auditors review break-glass sessions');
  const session = await findSessionById(deps.audit, id, deps.now());
  if (!session) throw new NotFoundError(`session '${id}' was not found`);
  if (session.principal.sub === principal.sub)
    throw new SelfApprovalError('you cannot review your own session');
  if (!session.breakGlass) throw new ConflictError('only break-glass sessions are reviewed');
  if (session.breakGlass.review.status !== 'pending')
    throw new ConflictError('the session has already been reviewed');

  const review = {
    status: verdict.status,
    reviewer: { sub: principal.sub, name: principal.name },
    at: toApiTime(deps.now()),
    comment: verdict.comment,
  };
  if (!(await putReview(deps.audit, session.accessKeyId, review))) {
    throw new ConflictError('the session has already been reviewed');
  }
  try {
    await putEvent(deps.audit, {
      event: AuditEvent.sessionReviewed,
      at: review.at,
      actor: review.reviewer,
      subjectSub: session.principal.sub,
      requestId: session.requestId,
      entitlementId: session.entitlementId,
      details: {
        sessionId: session.id,
        accessKeyId: session.accessKeyId,
        status: verdict.status,
        comment: verdict.comment,
      },
    });
  } catch (error) {
    // The review itself is stored on the session; the event is the searchable copy.
    log.error(LogEvent.auditEventUnwritten, {
      lostEvent: AuditEvent.sessionReviewed,
      sessionId: session.id,
      ...describeError(error),
    });
  }
  return { ...session, breakGlass: { ...session.breakGlass, review } };
}
