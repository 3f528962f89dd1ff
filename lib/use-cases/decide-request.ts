/**
 * Decisions on a request (approve, deny, cancel): read, decide with the pure rules of
 * core/approval.ts, write only if nobody wrote in between (else decide again), record the event and
 * count the decision (RequestDecided).
 */
import { noteExpiry, recordEvent } from '../adapters/audit-trail.ts';
import { getRequest, replaceRequest } from '../adapters/requests-table.ts';
import { AuditEvent, type AuditEventId } from '../audit-events.ts';
import {
  type ApiRequest,
  approve,
  cancel,
  checkVisible,
  deny,
  type RequestRecord,
  requestNotFound,
  statusOf,
  toApiRequest,
} from '../core/approval.ts';
import { type Entitlement, findEntitlement, isAuditor } from '../core/catalog.ts';
import type { Principal } from '../core/principal.ts';
import { sleep } from '../core/time.ts';
import type { RequestDeps } from '../deps.ts';
import { ConflictError, UpstreamUnavailableError } from '../errors.ts';

const MAX_ATTEMPTS = 25;

type Decision = (r: RequestRecord, e: Entitlement | undefined, now: Date) => RequestRecord;
type DecisionName = 'approved' | 'denied' | 'cancelled';

/**
 * Read; refuse a caller who may not see the request (404, as a read does); decide (pure); write if
 * nobody wrote in between, otherwise read again and decide again, so that concurrent approvers
 * neither lose an approval nor count one twice. The catalog and the caller's groups are those of
 * this call: a person removed from a group loses the power at once.
 */
async function decide(
  deps: RequestDeps,
  principal: Principal,
  id: string,
  [name, decision]: [DecisionName, Decision],
  event: (next: RequestRecord) => [AuditEventId, Record<string, unknown>],
): Promise<ApiRequest> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await getRequest(deps.requests, id);
    if (!current) throw requestNotFound(id);
    const entitlement = findEntitlement(deps.catalog, current.entitlementId);
    // Whoever may not read the request gets the read's 404: a decision route reveals no more.
    checkVisible(current, entitlement, principal, isAuditor(deps.catalog, principal));
    const now = deps.now();
    let next: RequestRecord;
    try {
      next = decision(current, entitlement, now);
    } catch (error) {
      // Only a caller allowed to decide gets this far (a 409): a refused caller changes nothing.
      if (error instanceof ConflictError)
        await noteExpiry(deps, current, statusOf(current, now, entitlement !== undefined));
      throw error;
    }
    if (await replaceRequest(deps.requests, next)) {
      deps.metrics?.count('RequestDecided', { Decision: name });
      const [eventId, details] = event(next);
      await recordEvent(deps, eventId, next, { sub: principal.sub, name: principal.name }, details);
      return toApiRequest(next, now, entitlement !== undefined);
    }
    // Someone else wrote first: back off a little, with jitter, and decide on the new state.
    await sleep(5 + Math.random() * 20 * Math.min(attempt + 1, 5));
  }
  throw new UpstreamUnavailableError('dynamodb', 'the request is too contended right now', {
    retryAfterSeconds: 1,
  });
}

/** Where a decision was made, when not through the API itself: the event says so (Slack). */
export type DecidedVia = { via: 'slack'; slackUser: string };

export const approveRequest = (
  deps: RequestDeps,
  principal: Principal,
  id: string,
  comment: string | null,
  via?: DecidedVia,
) =>
  decide(deps, principal, id, ['approved', (r, e, now) => approve(r, e, principal, comment, now)], (next) => [
    AuditEvent.requestApproved,
    {
      approvals: next.approvals.length,
      minApprovals: next.minApprovals,
      quorumReached: next.state === 'approved',
      // The requester's notification shows it.
      comment,
      ...via,
    },
  ]);

export const denyRequest = (
  deps: RequestDeps,
  principal: Principal,
  id: string,
  reason: string,
  via?: DecidedVia,
) =>
  decide(deps, principal, id, ['denied', (r, e, now) => deny(r, e, principal, reason, now)], () => [
    AuditEvent.requestDenied,
    { reason, ...via },
  ]);

export const cancelRequest = (deps: RequestDeps, principal: Principal, id: string) =>
  decide(
    deps,
    principal,
    id,
    ['cancelled', (r, e, now) => cancel(r, principal, now, e !== undefined)],
    () => [AuditEvent.requestCancelled, {}],
  );
