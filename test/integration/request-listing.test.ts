/**
 * GET /v1/requests: the caller's own requests and the ones they may decide, newest first, served by
 * the table's indexes, with opaque tamper-evident cursors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let createHandler: Handler;
let listHandler: Handler;
let approveHandler: Handler;
const REASON = 'Investigate the nightly batch failure';
const created: string[] = [];
let bobs = '';

const token = (sub: string, groups: string[]) => tokenFor(sub, { groups, name: sub });
const list = async (sub: string, groups: string[], query: Record<string, string>) =>
  invoke(listHandler, { path: '/v1/requests', token: await token(sub, groups), query });

beforeAll(async () => {
  await useLocalSts();
  await useIsolatedTables();
  createHandler = (await import('../../functions/requests-create.ts')).handler as Handler;
  listHandler = (await import('../../functions/requests-list.ts')).handler as Handler;
  approveHandler = (await import('../../functions/requests-approve.ts')).handler as Handler;
  // Seven requests by alice, one by bob; one of alice's approved.
  const alice = await token('alice', ['engineers']);
  for (let i = 0; i < 7; i++) {
    const answer = await invoke(createHandler, {
      path: '/v1/requests',
      token: alice,
      body: { entitlementId: i % 2 ? 'quorum-two' : 'prod-admin', justification: `${REASON} #${i}` },
    });
    created.unshift(answer.body.id); // newest first
  }
  const bob = await invoke(createHandler, {
    path: '/v1/requests',
    token: await token('bob', ['engineers', 'approvers']),
    body: { entitlementId: 'prod-admin', justification: REASON },
  });
  bobs = bob.body.id;
  await invoke(approveHandler, {
    method: 'POST',
    path: `/v1/requests/${created[0]}/approve`,
    token: await token('carl', ['approvers']),
    pathParameters: { id: created[0] as string },
  });
});

describe('view=mine', () => {
  it("lists the caller's own requests newest first", async () => {
    const answer = await list('alice', ['engineers'], {});
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((r: { id: string }) => r.id)).toEqual(created);
    expect(answer.body.nextCursor).toBeNull();
  });

  it('pages with limit and cursor, with no duplicate and no gap', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const answer = await list('alice', ['engineers'], { limit: '3', ...(cursor ? { cursor } : {}) });
      expect(answer.status).toBe(200);
      expect(answer.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...answer.body.items.map((r: { id: string }) => r.id));
      cursor = answer.body.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(created);
  });

  it('filters by the status a reader sees', async () => {
    const approved = await list('alice', ['engineers'], { status: 'approved' });
    expect(approved.body.items.map((r: { id: string }) => r.id)).toEqual([created[0]]);
    const pending = await list('alice', ['engineers'], { status: 'pending' });
    expect(pending.body.items).toHaveLength(6);
  });
});

describe('view=approvable', () => {
  it('lists the requests of the entitlements the caller approves, never their own', async () => {
    const answer = await list('bob', ['engineers', 'approvers'], { view: 'approvable', status: 'pending' });
    const requesters = new Set(answer.body.items.map((r: { requester: { sub: string } }) => r.requester.sub));
    expect([...requesters]).toEqual(['alice']);
    expect(answer.body.items).toHaveLength(6);
  });

  it('merges several entitlements newest first, and a security approver sees only quorum-two', async () => {
    const all = await list('carl', ['approvers'], { view: 'approvable' });
    const ids = all.body.items.map((r: { id: string }) => r.id);
    expect(ids).toEqual([bobs, ...created]);
    const security = await list('sam', ['security'], { view: 'approvable' });
    expect(security.body.items.map((r: { entitlementId: string }) => r.entitlementId)).toEqual(
      Array(3).fill('quorum-two'),
    );
  });

  it('lists nothing for a caller who approves nothing', async () => {
    expect((await list('eve', ['engineers'], { view: 'approvable' })).body).toEqual({
      items: [],
      nextCursor: null,
    });
  });
});

describe('bad listings', () => {
  it.each([
    [{ limit: '0' }],
    [{ limit: '101' }],
    [{ limit: '100000' }],
    [{ limit: 'ten' }],
    [{ view: 'everyone' }],
    [{ status: 'lost' }],
    [{ owner: 'bob' }],
  ])('refuses %j with 400', async (query) => {
    const answer = await list('alice', ['engineers'], query);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });

  it('refuses a modified cursor, and a cursor from another query or another caller', async () => {
    const first = await list('alice', ['engineers'], { limit: '2' });
    const cursor: string = first.body.nextCursor;
    const [body, signature] = cursor.split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), before: '9999' }),
    ).toString('base64url');
    expect(
      (await list('alice', ['engineers'], { limit: '2', cursor: `${forged}.${signature}` })).status,
    ).toBe(400);
    expect((await list('alice', ['engineers'], { limit: '2', cursor: `${cursor}x` })).status).toBe(400);
    expect((await list('alice', ['engineers'], { limit: '2', status: 'pending', cursor })).status).toBe(400);
    expect((await list('bob', ['engineers'], { limit: '2', cursor })).status).toBe(400);
    expect((await list('alice', ['engineers'], { limit: '2', cursor })).status).toBe(200);
  });
});
