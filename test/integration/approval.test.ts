/**
 * The approval workflow through the deployed handlers, against dynalite and the local STS:
 * requests, N-of-M approvals, windows, single-use consumption, re-checks at every step, listing,
 * audit events, and the two races (real concurrency against dynalite).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalSts } from '../../local/sts/server.ts';
import { type Answer, invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { allItems, snapshot, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
const h: Record<string, Handler> = {};
let sts: LocalSts;

beforeAll(async () => {
  sts = await useLocalSts();
  await useIsolatedTables();
  for (const name of [
    'credentials',
    'requests-create',
    'requests-get',
    'requests-list',
    'requests-approve',
    'requests-deny',
    'requests-cancel',
  ]) {
    h[name] = (await import(`../../functions/${name}.ts`)).handler as Handler;
  }
});

afterEach(() => {
  vi.useRealTimers();
});

// Tokens live a day (the longest hallpass accepts), so tests that move the clock forward still
// present valid ones.
const as = (sub: string, groups: string[]) =>
  tokenFor(sub, { groups, name: `${sub} name`, expiresIn: 86400 });
const ALICE = ['engineers', 'approvers'];
const BOB = ['approvers'];
const REASON = 'Deploy the payments hotfix (CHG-1234)';

async function create(sub: string, groups: string[], body: Record<string, unknown>): Promise<Answer> {
  return invoke(h['requests-create'] as Handler, {
    path: '/v1/requests',
    token: await as(sub, groups),
    body,
  });
}
async function act(
  action: 'approve' | 'deny' | 'cancel',
  id: string,
  sub: string,
  groups: string[],
  body?: unknown,
) {
  return invoke(h[`requests-${action}`] as Handler, {
    method: 'POST',
    path: `/v1/requests/${id}/${action}`,
    token: await as(sub, groups),
    ...(body === undefined ? {} : { body }),
    pathParameters: { id },
  });
}
async function read(id: string, sub: string, groups: string[]) {
  return invoke(h['requests-get'] as Handler, {
    path: `/v1/requests/${id}`,
    token: await as(sub, groups),
    pathParameters: { id },
  });
}
async function vend(sub: string, groups: string[], body: Record<string, unknown>) {
  return invoke(h.credentials as Handler, { path: '/v1/credentials', token: await as(sub, groups), body });
}
async function pendingProdAdmin(requester = 'alice', groups = ALICE): Promise<string> {
  const answer = await create(requester, groups, { entitlementId: 'prod-admin', justification: REASON });
  expect(answer.status).toBe(201);
  return answer.body.id;
}
async function approvedProdAdmin(): Promise<string> {
  const id = await pendingProdAdmin();
  expect((await act('approve', id, 'bob', BOB)).status).toBe(200);
  return id;
}
const moveClock = (seconds: number) => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + seconds * 1000);
};

describe('POST /v1/requests', () => {
  it('creates a pending request with the decision deadline, the quorum and the uses', async () => {
    const answer = await create('alice', ALICE, {
      entitlementId: 'prod-admin',
      justification: REASON,
      ticket: 'CHG-1234',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      entitlementId: 'prod-admin',
      requester: { sub: 'alice', name: 'alice name' },
      justification: REASON,
      ticket: 'CHG-1234',
      durationSeconds: 900,
      status: 'pending',
      approvals: [],
      minApprovals: 1,
      denial: null,
      usesRemaining: 1,
    });
    expect(answer.body.id).toMatch(/^r[a-z2-7]{22}$/);
    expect(Date.parse(answer.body.expiresAt) - Date.parse(answer.body.createdAt)).toBe(86400 * 1000);
  });

  it('creates an approved request at once for an entitlement that needs no approval', async () => {
    const answer = await create('alice', ALICE, { entitlementId: 'sandbox-readonly', justification: REASON });
    expect(answer.body).toMatchObject({ status: 'approved', minApprovals: 0, usesRemaining: 1 });
  });

  it.each([
    [{ entitlementId: 'prod-admin', justification: 'too short' }, 400, 'invalid_request'],
    [{ entitlementId: 'prod-admin', justification: REASON, durationSeconds: 3601 }, 400, 'invalid_request'],
    [{ entitlementId: 'prod-admin', justification: REASON, roleArn: 'x' }, 400, 'invalid_request'],
    [{ entitlementId: 'nope', justification: REASON }, 404, 'not_found'],
  ])('refuses %j with %i and writes nothing', async (body, status, code) => {
    const before = await snapshot();
    const answer = await create('alice', ALICE, body);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(await snapshot()).toBe(before);
  });

  it('refuses a caller outside the requester groups', async () => {
    const answer = await create('bob', BOB, { entitlementId: 'prod-admin', justification: REASON });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
  });
});

describe('GET /v1/requests/{id}', () => {
  it('shows the request to its requester, an eligible approver and an auditor, and 404 to anyone else', async () => {
    const id = await pendingProdAdmin();
    expect((await read(id, 'alice', ALICE)).status).toBe(200);
    expect((await read(id, 'bob', BOB)).status).toBe(200);
    expect((await read(id, 'audrey', ['auditors'])).status).toBe(200);
    const stranger = await read(id, 'eve', ['engineers']);
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('not_found');
    expect((await read('rdoesnotexist', 'alice', ALICE)).status).toBe(404);
  });
});

describe('approving', () => {
  it('approves with quorum 1, starting the validity window at that moment', async () => {
    const id = await pendingProdAdmin();
    const answer = await act('approve', id, 'bob', BOB, { comment: 'ok for the hotfix' });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('approved');
    expect(answer.body.approvals).toEqual([
      { approver: { sub: 'bob', name: 'bob name' }, at: expect.any(String), comment: 'ok for the hotfix' },
    ]);
    expect(Date.parse(answer.body.expiresAt) - Date.parse(answer.body.approvals[0].at)).toBe(3600 * 1000);
  });

  it('accepts an empty body', async () => {
    const id = await pendingProdAdmin();
    const answer = await invoke(h['requests-approve'] as Handler, {
      method: 'POST',
      path: `/v1/requests/${id}/approve`,
      token: await as('bob', BOB),
      pathParameters: { id },
    });
    expect(answer.status).toBe(200);
  });

  it('row 20: refuses an approver who is the requester', async () => {
    const id = await pendingProdAdmin();
    const answer = await act('approve', id, 'alice', ALICE);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('self_approval_forbidden');
  });

  it('row 21: refuses a non-approver who may see the request (an auditor)', async () => {
    const id = await pendingProdAdmin();
    const answer = await act('approve', id, 'audrey', ['auditors']);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
  });

  it.each(['approve', 'deny', 'cancel'] as const)(
    'answers %s by a caller who may not see the request 404, as GET does, and writes nothing',
    async (action) => {
      const id = await pendingProdAdmin();
      const got = await read(id, 'eve', ['engineers']);
      const before = await snapshot();

      const answer = await act(
        action,
        id,
        'eve',
        ['engineers'],
        action === 'deny' ? { reason: 'no' } : undefined,
      );

      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 'not_found', message: got.body.error.message });
      expect(answer.raw).not.toContain('prod-admin');
      expect(await snapshot()).toBe(before);
    },
  );

  it('row 22: refuses the same approver twice, and needs two distinct approvers for a quorum of 2', async () => {
    const created = await create('alice', ALICE, { entitlementId: 'quorum-two', justification: REASON });
    const id = created.body.id;
    const first = await act('approve', id, 'bob', BOB);
    expect(first.body).toMatchObject({ status: 'pending', minApprovals: 2 });
    const twice = await act('approve', id, 'bob', BOB);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('conflict');
    const second = await act('approve', id, 'sam', ['security']);
    expect(second.body.status).toBe('approved');
    expect(second.body.approvals.map((a: { approver: { sub: string } }) => a.approver.sub)).toEqual([
      'bob',
      'sam',
    ]);
  });

  it('takes the power away at once from an approver who left the approver groups', async () => {
    const id = await pendingProdAdmin();
    // Still an auditor, so the request is visible: 403. With no group that sees it, 404 (above).
    const answer = await act('approve', id, 'bob', ['auditors']);
    expect(answer.status).toBe(403);
  });

  it('refuses a decision on a request past its decision deadline, which reads as expired', async () => {
    const id = await pendingProdAdmin();
    moveClock(86400 + 60);
    const answer = await act('approve', id, 'bob', BOB);
    expect(answer.status).toBe(409);
    expect((await read(id, 'alice', ALICE)).body.status).toBe('expired');
    const expired = (await allItems('audit')).filter(
      (i) => i.event === 'request.expired' && i.requestId === id,
    );
    expect(expired).toHaveLength(1);
  });
});

describe('denying and cancelling', () => {
  it('denies with a reason; the request can no longer be approved', async () => {
    const id = await pendingProdAdmin();
    const denied = await act('deny', id, 'bob', BOB, { reason: 'not during the freeze' });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({
      status: 'denied',
      denial: { by: { sub: 'bob', name: 'bob name' }, reason: 'not during the freeze' },
    });
    expect((await act('approve', id, 'carl', BOB)).status).toBe(409);
  });

  it('requires a reason to deny, and refuses a non-approver', async () => {
    const id = await pendingProdAdmin();
    expect((await act('deny', id, 'bob', BOB, {})).status).toBe(400);
    expect((await act('deny', id, 'audrey', ['auditors'], { reason: 'no' })).status).toBe(403);
  });

  it('lets the requester cancel, and nobody else', async () => {
    const id = await approvedProdAdmin();
    expect((await act('cancel', id, 'bob', BOB)).status).toBe(403);
    const cancelled = await act('cancel', id, 'alice', ALICE);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const answer = await vend('alice', ALICE, { entitlementId: 'prod-admin', requestId: id });
    expect(answer.status).toBe(409);
  });
});

describe('vending with an approved request', () => {
  it('issues once with the approved duration, tagged with the request and naming the approvers', async () => {
    const id = await approvedProdAdmin();
    const answer = await vend('alice', ALICE, { entitlementId: 'prod-admin', requestId: id });
    expect(answer.status).toBe(200);
    expect(answer.body.session).toMatchObject({
      requestId: id,
      durationSeconds: 900,
      approvers: [{ sub: 'bob', name: 'bob name' }],
    });
    expect(answer.body.session.tags['hallpass:request-id']).toBe(id);
    const after = await read(id, 'alice', ALICE);
    expect(after.body).toMatchObject({ status: 'consumed', usesRemaining: 0 });
  });

  it('row 19: answers 409 for a used-up approval, without calling STS', async () => {
    const id = await approvedProdAdmin();
    expect((await vend('alice', ALICE, { entitlementId: 'prod-admin', requestId: id })).status).toBe(200);
    const keys = sts.issuedAccessKeyIds().length;
    const again = await vend('alice', ALICE, { entitlementId: 'prod-admin', requestId: id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect(sts.issuedAccessKeyIds()).toHaveLength(keys);
  });

  it('row 19: answers 409 for an approval past its window, which reads as expired', async () => {
    const id = await approvedProdAdmin();
    moveClock(3600 + 60);
    const answer = await vend('alice', ALICE, { entitlementId: 'prod-admin', requestId: id });
    expect(answer.status).toBe(409);
    expect((await read(id, 'alice', ALICE)).body.status).toBe('expired');
  });

  it("row 18: answers 404 for someone else's request, and it stays usable by its owner", async () => {
    const id = await approvedProdAdmin();
    const answer = await vend('eve', ['engineers'], { entitlementId: 'prod-admin', requestId: id });
    expect(answer.status).toBe(404);
    expect((await read(id, 'alice', ALICE)).body.usesRemaining).toBe(1);
  });

  it('refuses a duration above the approved one with 400, consuming nothing', async () => {
    const id = await approvedProdAdmin();
    const answer = await vend('alice', ALICE, {
      entitlementId: 'prod-admin',
      requestId: id,
      durationSeconds: 1800,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details[0].path).toBe('durationSeconds');
    expect((await read(id, 'alice', ALICE)).body.usesRemaining).toBe(1);
  });

  it('refuses a requester who left the requester groups, whatever was approved', async () => {
    const id = await approvedProdAdmin();
    const answer = await vend('alice', ['approvers'], { entitlementId: 'prod-admin', requestId: id });
    expect(answer.status).toBe(403);
    expect((await read(id, 'alice', ALICE)).body.usesRemaining).toBe(1);
  });

  it('records a consumed use that produced no credentials on the request (STS refused)', async () => {
    const created = await create('alice', ALICE, {
      entitlementId: 'untrusted-approved',
      justification: REASON,
    });
    await act('approve', created.body.id, 'bob', BOB);
    const answer = await vend('alice', ALICE, {
      entitlementId: 'untrusted-approved',
      requestId: created.body.id,
    });
    expect(answer.status).toBe(400);
    const [item] = (await allItems('requests')).filter((i) => i.id === created.body.id);
    expect(item?.usesRemaining).toBe(0);
    expect(item?.unissued).toEqual([
      { sessionId: expect.any(String), at: expect.any(String), reason: 'CatalogProblemError' },
    ]);
  });
});

describe('races, with real concurrency against dynalite', () => {
  it('gives exactly one of 50 concurrent vends on a single-use approval credentials, and 49 a 409', async () => {
    const id = await approvedProdAdmin();
    const token = await as('alice', ALICE);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        invoke(h.credentials as Handler, {
          path: '/v1/credentials',
          token,
          body: { entitlementId: 'prod-admin', requestId: id },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const sessions = (await allItems('audit')).filter((i) => i.kind === 'session' && i.requestId === id);
    expect(sessions).toHaveLength(1);
    const [item] = (await allItems('requests')).filter((i) => i.id === id);
    expect(item?.consumptions).toHaveLength(1);
  });

  it('keeps a consistent approvals list under 20 concurrent approvals for a quorum of 2', async () => {
    const created = await create('alice', ALICE, { entitlementId: 'quorum-two', justification: REASON });
    const id = created.body.id;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => act('approve', id, `approver-${i}`, BOB)),
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 409)).toBe(true);
    expect(ok).toHaveLength(2);
    const final = await read(id, 'alice', ALICE);
    expect(final.body.status).toBe('approved');
    const approvers = final.body.approvals.map((a: { approver: { sub: string } }) => a.approver.sub);
    expect(approvers).toHaveLength(2);
    expect(new Set(approvers).size).toBe(2);
    expect(ok.map((a) => a.body.approvals.length).sort()).toEqual([1, 2]);
  });
});

describe('audit events', () => {
  it('records request.created, request.approved, request.denied and request.cancelled with the request id', async () => {
    const approved = await approvedProdAdmin();
    const denied = await pendingProdAdmin();
    await act('deny', denied, 'bob', BOB, { reason: 'no' });
    const cancelled = await pendingProdAdmin();
    await act('cancel', cancelled, 'alice', ALICE);
    const events = (await allItems('audit')).filter((i) => i.kind === 'event');
    const of = (id: string) =>
      events
        .filter((e) => e.requestId === id)
        .map((e) => e.event)
        .sort();
    expect(of(approved)).toEqual(['request.approved', 'request.created']);
    expect(of(denied)).toEqual(['request.created', 'request.denied']);
    expect(of(cancelled)).toEqual(['request.cancelled', 'request.created']);
    const approval = events.find((e) => e.requestId === approved && e.event === 'request.approved');
    expect(approval).toMatchObject({
      actor: { sub: 'bob', name: 'bob name' },
      principalSub: 'alice',
      entitlementId: 'prod-admin',
    });
  });
});
