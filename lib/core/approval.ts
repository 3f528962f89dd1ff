/**
 * Approval requests: their lifecycle as pure functions of the stored record, the catalog entry, the
 * caller and the clock (`now` is always passed in, never read). Status is derived on every read, so
 * a request past its window shows `expired` before any job has touched it.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError, SelfApprovalError } from '../errors.ts';
import type { Entitlement } from './catalog.ts';
import { inAnyGroup, type Principal } from './principal.ts';
import type { PersonRef } from './session.ts';
import { toApiTime } from './time.ts';

export type StoredState = 'pending' | 'approved' | 'denied' | 'cancelled';
export type RequestStatus = StoredState | 'expired' | 'consumed';

export interface Approval {
  approver: PersonRef;
  at: string;
  comment: string | null;
}

/** The stored request. `version` increases with every write (optimistic concurrency). */
export interface RequestRecord {
  id: string;
  entitlementId: string;
  requester: PersonRef;
  justification: string;
  ticket: string | null;
  durationSeconds: number;
  state: StoredState;
  approvals: Approval[];
  minApprovals: number;
  maxUses: number;
  usesRemaining: number;
  validForSeconds: number;
  denial: { by: PersonRef; at: string; reason: string } | null;
  cancelledAt: string | null;
  createdAt: string;
  decisionDeadline: string;
  approvedAt: string | null;
  validUntil: string | null;
  /** Uses consumed, and those consumed but not issued (STS or the audit write failed). */
  consumptions: Array<{ sessionId: string; at: string }>;
  unissued: Array<{ sessionId: string; at: string; reason: string }>;
  version: number;
  /** A random id of the write that produced this version: recognises one's own write after a retry. */
  writeId: string;
}

/** A request as API.md shows it: the stored fields people need, and the derived status and expiry. */
export type ApiRequest = Pick<
  RequestRecord,
  | 'id'
  | 'entitlementId'
  | 'requester'
  | 'justification'
  | 'ticket'
  | 'durationSeconds'
  | 'approvals'
  | 'minApprovals'
  | 'denial'
  | 'createdAt'
  | 'usesRemaining'
> & { status: RequestStatus; expiresAt: string };

const person = (p: Principal): PersonRef => ({ sub: p.sub, name: p.name });
const later = (at: Date, seconds: number) => toApiTime(new Date(at.getTime() + seconds * 1000));
const passed = (deadline: string | null, now: Date) =>
  deadline !== null && Date.parse(deadline) <= now.getTime();

/** Without approval, a request is approved at once: one use, within an hour. */
const NO_APPROVAL = { validForSeconds: 3600, maxUses: 1, decisionTimeoutSeconds: 3600, minApprovals: 0 };

export interface NewRequestInput {
  id: string;
  entitlement: Entitlement;
  requester: Principal;
  justification: string;
  ticket: string | null;
  durationSeconds: number;
  now: Date;
}

export function newRequest(input: NewRequestInput): RequestRecord {
  const { entitlement, now } = input;
  const rules = entitlement.approval.required ? entitlement.approval : NO_APPROVAL;
  const approvedNow = !entitlement.approval.required;
  return {
    id: input.id,
    entitlementId: entitlement.id,
    requester: person(input.requester),
    justification: input.justification,
    ticket: input.ticket,
    durationSeconds: input.durationSeconds,
    state: approvedNow ? 'approved' : 'pending',
    approvals: [],
    minApprovals: rules.minApprovals,
    maxUses: rules.maxUses,
    usesRemaining: rules.maxUses,
    validForSeconds: rules.validForSeconds,
    denial: null,
    cancelledAt: null,
    createdAt: toApiTime(now),
    decisionDeadline: later(now, rules.decisionTimeoutSeconds),
    approvedAt: approvedNow ? toApiTime(now) : null,
    validUntil: approvedNow ? later(now, rules.validForSeconds) : null,
    consumptions: [],
    unissued: [],
    version: 1,
    writeId: randomUUID(),
  };
}

/**
 * The status a reader sees. A request whose entitlement left the catalog is void: it shows as
 * cancelled and can no longer be decided or used.
 */
export function statusOf(r: RequestRecord, now: Date, entitlementExists: boolean): RequestStatus {
  if (r.state === 'denied' || r.state === 'cancelled') return r.state;
  if (!entitlementExists) return 'cancelled';
  if (r.state === 'pending') return passed(r.decisionDeadline, now) ? 'expired' : 'pending';
  if (r.usesRemaining <= 0) return 'consumed';
  return passed(r.validUntil, now) ? 'expired' : 'approved';
}

export function toApiRequest(r: RequestRecord, now: Date, entitlementExists: boolean): ApiRequest {
  return {
    id: r.id,
    entitlementId: r.entitlementId,
    requester: r.requester,
    justification: r.justification,
    ticket: r.ticket,
    durationSeconds: r.durationSeconds,
    status: statusOf(r, now, entitlementExists),
    approvals: r.approvals,
    minApprovals: r.minApprovals,
    denial: r.denial,
    createdAt: r.createdAt,
    expiresAt: r.validUntil ?? r.decisionDeadline,
    usesRemaining: r.usesRemaining,
  };
}

/** Eligible approvers: in the entitlement's approver groups, and not the requester. */
export const isEligibleApprover = (r: RequestRecord, e: Entitlement | undefined, p: Principal): boolean =>
  e?.approval.required === true && inAnyGroup(p, e.approval.approverGroups) && p.sub !== r.requester.sub;

/** Who may read a request: its requester, its eligible approvers, and auditors. */
export function maySee(
  r: RequestRecord,
  e: Entitlement | undefined,
  p: Principal,
  auditor: boolean,
): boolean {
  return auditor || r.requester.sub === p.sub || isEligibleApprover(r, e, p);
}

/**
 * Refuses a caller who may not see the request exactly as a request that does not exist: the same
 * 404 and message as a read, so that approve, deny and cancel tell a stranger nothing (not even the
 * entitlement). A caller who may see it but not decide it is refused by the decision (403).
 */
export function checkVisible(
  r: RequestRecord,
  e: Entitlement | undefined,
  p: Principal,
  auditor: boolean,
): void {
  if (!maySee(r, e, p, auditor)) throw requestNotFound(r.id);
}

/** What a caller learns of a request that does not exist, or that they may not see. */
export const requestNotFound = (id: string): NotFoundError =>
  new NotFoundError(`request '${id}' was not found`);

function checkDecider(r: RequestRecord, e: Entitlement | undefined, p: Principal, now: Date): Entitlement {
  if (r.requester.sub === p.sub) throw new SelfApprovalError('you cannot decide your own request');
  if (!e) throw new ConflictError(`the request is void: '${r.entitlementId}' is no longer in the catalog`);
  if (!isEligibleApprover(r, e, p))
    throw new ForbiddenError(`you may not decide requests for '${r.entitlementId}'`);
  const status = statusOf(r, now, true);
  if (status !== 'pending') throw new ConflictError(`the request is ${status}, not pending`);
  return e;
}

/** One more approval; the request becomes approved when approvals reach the quorum. */
export function approve(
  r: RequestRecord,
  e: Entitlement | undefined,
  approver: Principal,
  comment: string | null,
  now: Date,
): RequestRecord {
  checkDecider(r, e, approver, now);
  if (r.approvals.some((a) => a.approver.sub === approver.sub)) {
    throw new ConflictError('you have already approved this request');
  }
  const approvals = [...r.approvals, { approver: person(approver), at: toApiTime(now), comment }];
  const quorum = approvals.length >= r.minApprovals;
  return {
    ...r,
    approvals,
    state: quorum ? 'approved' : 'pending',
    approvedAt: quorum ? toApiTime(now) : null,
    // The validity window starts when the quorum is reached.
    validUntil: quorum ? later(now, r.validForSeconds) : null,
    version: r.version + 1,
    writeId: randomUUID(),
  };
}

export function deny(
  r: RequestRecord,
  e: Entitlement | undefined,
  approver: Principal,
  reason: string,
  now: Date,
): RequestRecord {
  checkDecider(r, e, approver, now);
  return {
    ...r,
    state: 'denied',
    denial: { by: person(approver), at: toApiTime(now), reason },
    version: r.version + 1,
    writeId: randomUUID(),
  };
}

/** The requester withdraws a pending request, or an approved one that still has uses. */
export function cancel(
  r: RequestRecord,
  caller: Principal,
  now: Date,
  entitlementExists: boolean,
): RequestRecord {
  if (r.requester.sub !== caller.sub) throw new ForbiddenError('only the requester may cancel a request');
  const status = statusOf(r, now, entitlementExists);
  if (status !== 'pending' && status !== 'approved') throw new ConflictError(`the request is ${status}`);
  return {
    ...r,
    state: 'cancelled',
    cancelledAt: toApiTime(now),
    version: r.version + 1,
    writeId: randomUUID(),
  };
}

/**
 * Why a request cannot be used for a vend by this caller: 404 when it is not theirs (or not for this
 * entitlement), 409 when its state does not allow it. Returns nothing when it can be used.
 */
/** The answer to a vend that names no approved request of the caller's for the entitlement. */
export const noSuchRequest = () => new NotFoundError('no such request of yours for this entitlement');

export function checkUsable(
  r: RequestRecord | undefined,
  caller: Principal,
  entitlementId: string,
  now: Date,
): void {
  if (!r || r.requester.sub !== caller.sub || r.entitlementId !== entitlementId) throw noSuchRequest();
  const status = statusOf(r, now, true);
  if (status !== 'approved') throw new ConflictError(`the request is ${status}: it cannot be used`);
}
