/**
 * How a vend is entitled to credentials (its grant), and how long the session may last. Pure: the
 * catalog entry, the verified caller, what they asked for and, for an approved request, what was
 * approved.
 */
import { ApprovalRequiredError, ForbiddenError, InvalidRequestError } from '../errors.ts';
import { noSuchRequest } from './approval.ts';
import { type Entitlement, mayBreakGlass, mayRequest } from './catalog.ts';
import { isRequestId } from './ids.ts';
import type { Principal } from './principal.ts';
import { resolveDuration } from './session-plan.ts';

/**
 * The way to credentials this call takes: the entitlement needs no approval (`direct`), the caller
 * breaks glass, or the caller uses their approved request. Each carries the longest session and the
 * default duration it allows.
 */
export type Grant = { maxDurationSeconds: number; defaultDurationSeconds: number } & (
  | { kind: 'direct' }
  | { kind: 'break-glass'; justification: string }
  | { kind: 'approved-request'; requestId: string }
);

/**
 * Decides the grant from the catalog and the caller's groups (checked again at every vend): break
 * glass needs the break-glass groups (and no request id too); otherwise the requester groups, and an
 * entitlement that needs approval needs a request id (403 approval_required without one).
 */
export function decideGrant(
  entitlement: Entitlement,
  principal: Principal,
  ask: { requestId?: string | undefined; breakGlass?: { justification: string } | undefined },
): Grant {
  const durations = {
    maxDurationSeconds: entitlement.maxDurationSeconds,
    defaultDurationSeconds: entitlement.defaultDurationSeconds,
  };
  if (ask.breakGlass) {
    if (ask.requestId !== undefined)
      throw new InvalidRequestError('give either requestId or breakGlass, not both');
    if (!mayBreakGlass(entitlement, principal))
      throw new ForbiddenError(`you may not break glass on '${entitlement.id}'`);
    const maxDurationSeconds = entitlement.breakGlass?.maxDurationSeconds ?? 0;
    return {
      kind: 'break-glass',
      justification: ask.breakGlass.justification,
      maxDurationSeconds,
      defaultDurationSeconds: entitlement.defaultDurationSeconds,
    };
  }
  if (!mayRequest(entitlement, principal))
    throw new ForbiddenError(`you may not request '${entitlement.id}'`);
  if (ask.requestId !== undefined) {
    // An id of another shape names no request, and the vend role may update no other item of the
    // table (IAM): 404 here, before anything is built from it or any write that IAM would refuse.
    if (!isRequestId(ask.requestId)) throw noSuchRequest();
    return { kind: 'approved-request', requestId: ask.requestId, ...durations };
  }
  if (entitlement.approval.required) {
    throw new ApprovalRequiredError(
      `'${entitlement.id}' needs an approved request: create one with POST /v1/requests`,
    );
  }
  return { kind: 'direct', ...durations };
}

/**
 * The duration the caller asked for, checked against the grant before anything is written: within
 * [900, the grant's maximum], never clamped (400). Undefined when they asked for none.
 */
export function requestedDuration(grant: Grant, requested: number | undefined): number | undefined {
  return requested === undefined ? undefined : resolveDuration(requested, 0, grant.maxDurationSeconds);
}

/**
 * The session's duration, settled once the approval (if any) is known; the value sent to STS. Asked
 * for: at most the approved duration (400 otherwise). Not asked for: the approved duration, or the
 * entitlement's default; either within the grant's maximum.
 */
export function settleDuration(
  grant: Grant,
  requested: number | undefined,
  approved: { durationSeconds: number } | null,
): number {
  if (approved && requested !== undefined && requested > approved.durationSeconds) {
    const message = `must be at most ${approved.durationSeconds} seconds (the approved duration)`;
    throw new InvalidRequestError(`durationSeconds ${message}`, [{ path: 'durationSeconds', message }]);
  }
  const fallback = approved ? approved.durationSeconds : grant.defaultDurationSeconds;
  return resolveDuration(requested, fallback, grant.maxDurationSeconds);
}
