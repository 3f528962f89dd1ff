import { describe, expect, it } from 'vitest';
import {
  approve,
  cancel,
  checkUsable,
  checkVisible,
  deny,
  maySee,
  newRequest,
  type RequestRecord,
  statusOf,
  toApiRequest,
} from '../../../lib/core/approval.ts';
import { type Entitlement, parseCatalog } from '../../../lib/core/catalog.ts';
import { ConflictError, ForbiddenError, NotFoundError, SelfApprovalError } from '../../../lib/errors.ts';
import {
  CATALOG_OPTIONS,
  catalogDocument,
  principal,
  prodDocument,
  sandboxEntitlement,
} from '../fixtures.ts';

// The clock is always passed in: every time is NOW plus some seconds.
const NOW = new Date('2030-01-15T12:00:00Z');
const at = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);
const iso = (seconds: number): string => `${at(seconds).toISOString().slice(0, 19)}Z`;

const DECISION_TIMEOUT = 86400;
const VALID_FOR = 3600;

const REQUESTER = principal();
const APPROVER = principal({ sub: 'bob', name: 'bob@example.com', groups: ['approvers'] });
const SECOND_APPROVER = principal({ sub: 'carol', name: 'carol@example.com', groups: ['approvers'] });
const OUTSIDER = principal({ sub: 'dave', name: 'dave@example.com', groups: ['engineers'] });
const OTHER_APPROVER = principal({ sub: 'erin', name: 'erin@example.com', groups: ['other-approvers'] });

/** The example's prod entitlement (approval required), with its approval rules overridden. */
function prodEntitlement(
  approval: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
): Entitlement {
  const document = prodDocument({
    approval: {
      required: true,
      approverGroups: ['approvers'],
      minApprovals: 1,
      validForSeconds: VALID_FOR,
      maxUses: 1,
      decisionTimeoutSeconds: DECISION_TIMEOUT,
      ...approval,
    },
    ...overrides,
  });
  const [entitlement] = parseCatalog(catalogDocument(document), CATALOG_OPTIONS).entitlements;
  if (!entitlement) throw new Error('the catalog has no entitlement');
  return entitlement;
}

const PROD = prodEntitlement();
const PROD_QUORUM_2 = prodEntitlement({ minApprovals: 2 });
const PROD_TWO_USES = prodEntitlement({ maxUses: 2 });
const OTHER = prodEntitlement({ approverGroups: ['other-approvers'] }, { id: 'other-admin' });
const SANDBOX = sandboxEntitlement();

function requestFor(entitlement: Entitlement, now: Date = NOW): RequestRecord {
  return newRequest({
    id: 'r234567abcdabcdefghijkl',
    entitlement,
    requester: REQUESTER,
    justification: 'investigating incident 42',
    ticket: 'INC-42',
    durationSeconds: 900,
    now,
  });
}

/** A prod request approved by one approver, one minute after it was made. */
const approvedProdRequest = (entitlement: Entitlement = PROD): RequestRecord =>
  approve(requestFor(entitlement), entitlement, APPROVER, null, at(60));

const consumed = (r: RequestRecord): RequestRecord => ({ ...r, usesRemaining: 0 });

describe('newRequest', () => {
  it('creates a request that needs approval as pending, with its deadline decisionTimeoutSeconds away', () => {
    const r = requestFor(PROD);

    expect(r).toMatchObject({
      state: 'pending',
      createdAt: iso(0),
      decisionDeadline: iso(DECISION_TIMEOUT),
      approvedAt: null,
      validUntil: null,
      approvals: [],
      denial: null,
      version: 1,
    });
  });

  it("copies the entitlement's quorum, uses and validity window into the request", () => {
    const entitlement = prodEntitlement({ minApprovals: 3, maxUses: 5, validForSeconds: 600 });

    const r = requestFor(entitlement);

    expect(r).toMatchObject({ minApprovals: 3, maxUses: 5, usesRemaining: 5, validForSeconds: 600 });
  });

  it('records the requester, the justification, the ticket and the duration', () => {
    const r = requestFor(PROD);

    expect(r).toMatchObject({
      id: 'r234567abcdabcdefghijkl',
      entitlementId: 'prod-admin',
      requester: { sub: 'alice', name: 'alice@example.com' },
      justification: 'investigating incident 42',
      ticket: 'INC-42',
      durationSeconds: 900,
    });
  });

  it('creates a request for an entitlement without approval as approved at once, for one use within an hour', () => {
    const r = requestFor(SANDBOX);

    expect(r).toMatchObject({
      state: 'approved',
      approvedAt: iso(0),
      validUntil: iso(3600),
      minApprovals: 0,
      maxUses: 1,
      usesRemaining: 1,
      approvals: [],
    });
  });
});

describe('statusOf', () => {
  it('shows a pending request as pending one second before its deadline', () => {
    const r = requestFor(PROD);

    expect(statusOf(r, at(DECISION_TIMEOUT - 1), true)).toBe('pending');
  });

  it('shows a pending request as expired exactly at its deadline', () => {
    const r = requestFor(PROD);

    expect(statusOf(r, at(DECISION_TIMEOUT), true)).toBe('expired');
  });

  it('shows an approved request as approved one second before validUntil', () => {
    const r = approvedProdRequest();

    expect(statusOf(r, at(60 + VALID_FOR - 1), true)).toBe('approved');
  });

  it('shows an approved request as expired exactly at validUntil', () => {
    const r = approvedProdRequest();

    expect(statusOf(r, at(60 + VALID_FOR), true)).toBe('expired');
  });

  it('shows an approved request with no uses left as consumed', () => {
    const r = consumed(approvedProdRequest());

    expect(statusOf(r, at(120), true)).toBe('consumed');
  });

  it('keeps showing a denied request as denied after its deadline', () => {
    const r = deny(requestFor(PROD), PROD, APPROVER, 'not justified', at(60));

    expect(statusOf(r, at(DECISION_TIMEOUT + 1), true)).toBe('denied');
  });

  it('keeps showing a cancelled request as cancelled after its deadline', () => {
    const r = cancel(requestFor(PROD), REQUESTER, at(60), true);

    expect(statusOf(r, at(DECISION_TIMEOUT + 1), true)).toBe('cancelled');
  });

  it('shows a pending request whose entitlement left the catalog as cancelled', () => {
    const r = requestFor(PROD);

    expect(statusOf(r, at(60), false)).toBe('cancelled');
  });

  it('shows an approved request whose entitlement left the catalog as cancelled', () => {
    const r = approvedProdRequest();

    expect(statusOf(r, at(120), false)).toBe('cancelled');
  });

  it('keeps showing a denied request as denied when its entitlement left the catalog', () => {
    const r = deny(requestFor(PROD), PROD, APPROVER, 'not justified', at(60));

    expect(statusOf(r, at(120), false)).toBe('denied');
  });
});

describe('toApiRequest', () => {
  it('gives a pending request its decision deadline as expiresAt', () => {
    const r = requestFor(PROD);

    expect(toApiRequest(r, at(60), true).expiresAt).toBe(iso(DECISION_TIMEOUT));
  });

  it('gives an approved request its validUntil as expiresAt', () => {
    const r = approvedProdRequest();

    expect(toApiRequest(r, at(120), true).expiresAt).toBe(iso(60 + VALID_FOR));
  });

  it('gives a denied request its decision deadline as expiresAt', () => {
    const r = deny(requestFor(PROD), PROD, APPROVER, 'not justified', at(60));

    expect(toApiRequest(r, at(120), true).expiresAt).toBe(iso(DECISION_TIMEOUT));
  });

  it('shows the derived status, not the stored state', () => {
    const r = requestFor(PROD);

    expect(toApiRequest(r, at(DECISION_TIMEOUT), true).status).toBe('expired');
  });

  it('shows exactly the fields of API.md, and no internal ones', () => {
    const r = approvedProdRequest();

    const api = toApiRequest(r, at(120), true);

    expect(Object.keys(api).sort()).toEqual(
      [
        'id',
        'entitlementId',
        'requester',
        'justification',
        'ticket',
        'durationSeconds',
        'status',
        'approvals',
        'minApprovals',
        'denial',
        'createdAt',
        'expiresAt',
        'usesRemaining',
      ].sort(),
    );
  });

  it('shows the approvals, the quorum and the uses left', () => {
    const r = approvedProdRequest();

    const api = toApiRequest(r, at(120), true);

    expect(api).toMatchObject({
      approvals: [{ approver: { sub: 'bob', name: 'bob@example.com' }, at: iso(60), comment: null }],
      minApprovals: 1,
      usesRemaining: 1,
    });
  });
});

describe('approve', () => {
  it('approves a request with a quorum of one, the window starting at the approval', () => {
    const r = requestFor(PROD);

    const approved = approve(r, PROD, APPROVER, 'looks fine', at(600));

    expect(approved).toMatchObject({
      state: 'approved',
      approvedAt: iso(600),
      validUntil: iso(600 + VALID_FOR),
      approvals: [{ approver: { sub: 'bob', name: 'bob@example.com' }, at: iso(600), comment: 'looks fine' }],
    });
  });

  it('leaves a request with a quorum of two pending after one approval', () => {
    const r = requestFor(PROD_QUORUM_2);

    const once = approve(r, PROD_QUORUM_2, APPROVER, null, at(60));

    expect(once).toMatchObject({ state: 'pending', approvedAt: null, validUntil: null });
    expect(once.approvals).toHaveLength(1);
  });

  it('approves a request with a quorum of two after two distinct approvers, the window starting at the second', () => {
    const once = approve(requestFor(PROD_QUORUM_2), PROD_QUORUM_2, APPROVER, null, at(60));

    const twice = approve(once, PROD_QUORUM_2, SECOND_APPROVER, null, at(120));

    expect(twice).toMatchObject({
      state: 'approved',
      approvedAt: iso(120),
      validUntil: iso(120 + VALID_FOR),
    });
    expect(twice.approvals.map((a) => a.approver.sub)).toEqual(['bob', 'carol']);
  });

  it('increments the version', () => {
    const r = requestFor(PROD);

    expect(approve(r, PROD, APPROVER, null, at(60)).version).toBe(r.version + 1);
  });

  it('does not change the request it was given', () => {
    const r = requestFor(PROD);
    const before = structuredClone(r);

    approve(r, PROD, APPROVER, null, at(60));

    expect(r).toEqual(before);
  });

  it('refuses the requester with SelfApprovalError', () => {
    const r = requestFor(PROD);

    expect(() => approve(r, PROD, REQUESTER, null, at(60))).toThrow(SelfApprovalError);
  });

  it('refuses the requester with SelfApprovalError even when they are in the approver groups', () => {
    const requesterApprover = principal({ groups: ['engineers', 'approvers'] });
    const r = newRequest({
      id: 'r234567abcdabcdefghijkl',
      entitlement: PROD,
      requester: requesterApprover,
      justification: 'investigating incident 42',
      ticket: null,
      durationSeconds: 900,
      now: NOW,
    });

    expect(() => approve(r, PROD, requesterApprover, null, at(60))).toThrow(SelfApprovalError);
  });

  it('refuses someone outside the approver groups with ForbiddenError', () => {
    const r = requestFor(PROD);

    expect(() => approve(r, PROD, OUTSIDER, null, at(60))).toThrow(ForbiddenError);
  });

  it('refuses an approver of another entitlement with ForbiddenError', () => {
    const r = requestFor(PROD);

    expect(() => approve(r, PROD, OTHER_APPROVER, null, at(60))).toThrow(ForbiddenError);
  });

  it('refuses the same approver twice with ConflictError', () => {
    const once = approve(requestFor(PROD_QUORUM_2), PROD_QUORUM_2, APPROVER, null, at(60));

    expect(() => approve(once, PROD_QUORUM_2, APPROVER, null, at(120))).toThrow(ConflictError);
  });

  it('refuses an approval exactly at the decision deadline with ConflictError', () => {
    const r = requestFor(PROD);

    expect(() => approve(r, PROD, APPROVER, null, at(DECISION_TIMEOUT))).toThrow(ConflictError);
  });

  it('refuses an approval after the decision deadline with ConflictError', () => {
    const r = requestFor(PROD);

    expect(() => approve(r, PROD, APPROVER, null, at(DECISION_TIMEOUT + 60))).toThrow(ConflictError);
  });

  it('refuses an approval when the entitlement left the catalog with ConflictError', () => {
    const r = requestFor(PROD);

    expect(() => approve(r, undefined, APPROVER, null, at(60))).toThrow(ConflictError);
  });

  it('refuses an approval of an already approved request with ConflictError', () => {
    const r = approvedProdRequest();

    expect(() => approve(r, PROD, SECOND_APPROVER, null, at(120))).toThrow(ConflictError);
  });

  it('refuses an approval of a denied request with ConflictError', () => {
    const r = deny(requestFor(PROD), PROD, APPROVER, 'not justified', at(60));

    expect(() => approve(r, PROD, SECOND_APPROVER, null, at(120))).toThrow(ConflictError);
  });
});

describe('deny', () => {
  it('records who denied, when and why', () => {
    const r = requestFor(PROD);

    const denied = deny(r, PROD, APPROVER, 'not justified', at(300));

    expect(denied).toMatchObject({
      state: 'denied',
      denial: { by: { sub: 'bob', name: 'bob@example.com' }, at: iso(300), reason: 'not justified' },
    });
  });

  it('increments the version', () => {
    const r = requestFor(PROD);

    expect(deny(r, PROD, APPROVER, 'not justified', at(60)).version).toBe(r.version + 1);
  });

  it('denies a request that has some but not all of its approvals', () => {
    const once = approve(requestFor(PROD_QUORUM_2), PROD_QUORUM_2, APPROVER, null, at(60));

    const denied = deny(once, PROD_QUORUM_2, SECOND_APPROVER, 'not now', at(120));

    expect(denied.state).toBe('denied');
  });

  it('refuses an approved request with ConflictError', () => {
    const r = approvedProdRequest();

    expect(() => deny(r, PROD, SECOND_APPROVER, 'changed my mind', at(120))).toThrow(ConflictError);
  });

  it('refuses a cancelled request with ConflictError', () => {
    const r = cancel(requestFor(PROD), REQUESTER, at(60), true);

    expect(() => deny(r, PROD, APPROVER, 'not justified', at(120))).toThrow(ConflictError);
  });

  it('refuses a request at its decision deadline with ConflictError', () => {
    const r = requestFor(PROD);

    expect(() => deny(r, PROD, APPROVER, 'too late', at(DECISION_TIMEOUT))).toThrow(ConflictError);
  });

  it('refuses the requester with SelfApprovalError', () => {
    const r = requestFor(PROD);

    expect(() => deny(r, PROD, REQUESTER, 'never mind', at(60))).toThrow(SelfApprovalError);
  });

  it('refuses someone outside the approver groups with ForbiddenError', () => {
    const r = requestFor(PROD);

    expect(() => deny(r, PROD, OUTSIDER, 'not justified', at(60))).toThrow(ForbiddenError);
  });

  it('refuses a request whose entitlement left the catalog with ConflictError', () => {
    const r = requestFor(PROD);

    expect(() => deny(r, undefined, APPROVER, 'not justified', at(60))).toThrow(ConflictError);
  });
});

describe('cancel', () => {
  it('cancels a pending request, recording when', () => {
    const r = requestFor(PROD);

    const cancelled = cancel(r, REQUESTER, at(60), true);

    expect(cancelled).toMatchObject({ state: 'cancelled', cancelledAt: iso(60), version: r.version + 1 });
  });

  it('cancels an approved request that has uses left', () => {
    const r = approvedProdRequest();

    expect(cancel(r, REQUESTER, at(120), true).state).toBe('cancelled');
  });

  it('cancels an approved request that has used some but not all of its uses', () => {
    const r = { ...approvedProdRequest(PROD_TWO_USES), usesRemaining: 1 };

    expect(cancel(r, REQUESTER, at(120), true).state).toBe('cancelled');
  });

  it('refuses anyone but the requester with ForbiddenError', () => {
    const r = requestFor(PROD);

    expect(() => cancel(r, APPROVER, at(60), true)).toThrow(ForbiddenError);
  });

  it('refuses a consumed request with ConflictError', () => {
    const r = consumed(approvedProdRequest());

    expect(() => cancel(r, REQUESTER, at(120), true)).toThrow(ConflictError);
  });

  it('refuses a pending request past its deadline with ConflictError', () => {
    const r = requestFor(PROD);

    expect(() => cancel(r, REQUESTER, at(DECISION_TIMEOUT), true)).toThrow(ConflictError);
  });

  it('refuses an approved request past its window with ConflictError', () => {
    const r = approvedProdRequest();

    expect(() => cancel(r, REQUESTER, at(60 + VALID_FOR), true)).toThrow(ConflictError);
  });

  it('refuses a denied request with ConflictError', () => {
    const r = deny(requestFor(PROD), PROD, APPROVER, 'not justified', at(60));

    expect(() => cancel(r, REQUESTER, at(120), true)).toThrow(ConflictError);
  });

  it('refuses an already cancelled request with ConflictError', () => {
    const r = cancel(requestFor(PROD), REQUESTER, at(60), true);

    expect(() => cancel(r, REQUESTER, at(120), true)).toThrow(ConflictError);
  });
});

describe('maySee', () => {
  it('lets the requester see their request', () => {
    const r = requestFor(PROD);

    expect(maySee(r, PROD, REQUESTER, false)).toBe(true);
  });

  it("lets an eligible approver of the request's entitlement see it", () => {
    const r = requestFor(PROD);

    expect(maySee(r, PROD, APPROVER, false)).toBe(true);
  });

  it('lets an auditor see any request', () => {
    const auditor = principal({ sub: 'frank', name: 'frank@example.com', groups: ['auditors'] });
    const r = requestFor(PROD);

    expect(maySee(r, PROD, auditor, true)).toBe(true);
  });

  it('hides a request from someone who is neither requester, approver nor auditor', () => {
    const r = requestFor(PROD);

    expect(maySee(r, PROD, OUTSIDER, false)).toBe(false);
  });

  it('hides a request from an approver of another entitlement', () => {
    const r = requestFor(PROD);

    expect(maySee(r, PROD, OTHER_APPROVER, false)).toBe(false);
  });

  it('hides a request on an entitlement without approval from members of approver groups elsewhere', () => {
    const r = requestFor(SANDBOX);

    expect(maySee(r, SANDBOX, APPROVER, false)).toBe(false);
  });

  it('still lets the requester see a request whose entitlement left the catalog', () => {
    const r = requestFor(PROD);

    expect(maySee(r, undefined, REQUESTER, false)).toBe(true);
  });

  it('hides a request whose entitlement left the catalog from its former approvers', () => {
    const r = requestFor(PROD);

    expect(maySee(r, undefined, APPROVER, false)).toBe(false);
  });
});

describe('checkUsable', () => {
  it('accepts an approved request of the caller within its window with uses left', () => {
    const r = approvedProdRequest();

    expect(() => checkUsable(r, REQUESTER, 'prod-admin', at(60 + VALID_FOR - 1))).not.toThrow();
  });

  it('accepts a request created approved for an entitlement without approval', () => {
    const r = requestFor(SANDBOX);

    expect(() => checkUsable(r, REQUESTER, 'sandbox-readonly', at(60))).not.toThrow();
  });

  it('refuses a missing request with NotFoundError', () => {
    expect(() => checkUsable(undefined, REQUESTER, 'prod-admin', at(120))).toThrow(NotFoundError);
  });

  it("refuses someone else's request with NotFoundError", () => {
    const r = approvedProdRequest();

    expect(() => checkUsable(r, OUTSIDER, 'prod-admin', at(120))).toThrow(NotFoundError);
  });

  it('refuses a request for another entitlement with NotFoundError', () => {
    const r = approvedProdRequest();

    expect(() => checkUsable(r, REQUESTER, OTHER.id, at(120))).toThrow(NotFoundError);
  });

  it("refuses someone else's request with NotFoundError even when it is not usable anyway", () => {
    const r = requestFor(PROD);

    expect(() => checkUsable(r, OUTSIDER, 'prod-admin', at(120))).toThrow(NotFoundError);
  });

  it('refuses a pending request with ConflictError', () => {
    const r = requestFor(PROD);

    expect(() => checkUsable(r, REQUESTER, 'prod-admin', at(60))).toThrow(ConflictError);
  });

  it('refuses an approved request at the end of its window with ConflictError', () => {
    const r = approvedProdRequest();

    expect(() => checkUsable(r, REQUESTER, 'prod-admin', at(60 + VALID_FOR))).toThrow(ConflictError);
  });

  it('refuses a consumed request with ConflictError', () => {
    const r = consumed(approvedProdRequest());

    expect(() => checkUsable(r, REQUESTER, 'prod-admin', at(120))).toThrow(ConflictError);
  });

  it('refuses a cancelled request with ConflictError', () => {
    const r = cancel(approvedProdRequest(), REQUESTER, at(120), true);

    expect(() => checkUsable(r, REQUESTER, 'prod-admin', at(180))).toThrow(ConflictError);
  });

  it('refuses a denied request with ConflictError', () => {
    const r = deny(requestFor(PROD), PROD, APPROVER, 'not justified', at(60));

    expect(() => checkUsable(r, REQUESTER, 'prod-admin', at(120))).toThrow(ConflictError);
  });
});

describe('checkVisible', () => {
  it('refuses a caller who may not see the request as if it did not exist, naming nothing', () => {
    const r = requestFor(PROD);

    expect(() => checkVisible(r, PROD, OUTSIDER, false)).toThrow(NotFoundError);
    expect(() => checkVisible(r, PROD, OUTSIDER, false)).toThrow(`request '${r.id}' was not found`);
    expect(() => checkVisible(r, PROD, OTHER_APPROVER, false)).toThrow(NotFoundError);
  });

  it('lets through the requester, an eligible approver and an auditor (who may still be refused a decision)', () => {
    const r = requestFor(PROD);

    expect(() => checkVisible(r, PROD, REQUESTER, false)).not.toThrow();
    expect(() => checkVisible(r, PROD, APPROVER, false)).not.toThrow();
    expect(() => checkVisible(r, PROD, OUTSIDER, true)).not.toThrow();
  });
});
