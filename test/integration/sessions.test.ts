/**
 * Audit queries (GET /v1/sessions, /v1/sessions/{id}, /v1/events) against dynalite: each filter
 * alone and combined, pagination, visibility, cursors, retention and exports.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { putSession } from '../../lib/adapters/audit-table.ts';
import type { Session } from '../../lib/core/session.ts';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

let list: unknown;
let getOne: unknown;
let events: unknown;
let table: { client: DynamoDBClient; tableName: string; retentionDays: number };
const DAY = 86400_000;
const now = Date.now();
const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const seeded: Session[] = [];

function session(n: number, over: Partial<Session> & { sub?: string; ageMs?: number }): Session {
  const issued = now - (over.ageMs ?? n * 60_000);
  const sub = over.sub ?? 'alice';
  const id = `s${String(n).padStart(15, '0')}`;
  return {
    id,
    issuedAt: iso(issued),
    expiresAt: iso(issued + 900_000),
    principal: { sub, name: sub, groups: ['engineers'] },
    entitlementId: over.entitlementId ?? 'sandbox-readonly',
    issuance: 'assume-role',
    roleArn: over.roleArn ?? 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
    assumedRoleArn: 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/x',
    sessionName: `${sub}.${id}`,
    sourceIdentity: sub,
    accessKeyId: `ASIATEST${String(n).padStart(12, '0')}`,
    durationSeconds: 900,
    sessionPolicy: null,
    policyArns: [],
    tags: {},
    requestId: over.requestId ?? null,
    approvers: [],
    breakGlass: over.breakGlass ?? null,
    client: { sourceIp: '203.0.113.7', userAgent: over.client?.userAgent ?? 'test' },
    // Sessions are read with their revocation (issue 14), null until one is revoked.
    revocation: null,
  };
}

const AUDITOR = ['auditors'];
async function query(sub: string, groups: string[], q: Record<string, string>) {
  return invoke(list, { path: '/v1/sessions', token: await tokenFor(sub, { groups }), query: q });
}
const ids = (answer: { body: { items: Array<{ id: string }> } }) => answer.body.items.map((s) => s.id);
const expected = (filter: (s: Session) => boolean) =>
  seeded
    .filter(filter)
    .sort((a, b) => (a.issuedAt === b.issuedAt ? 0 : a.issuedAt < b.issuedAt ? 1 : -1))
    .map((s) => s.id);

beforeAll(async () => {
  await useLocalSts();
  const names = await useIsolatedTables();
  table = {
    client: new DynamoDBClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB }),
    tableName: names.audit,
    retentionDays: 400,
  };
  const glass = {
    justification: 'INC-9: database failover in progress',
    review: { status: 'pending' as const, reviewer: null, at: null, comment: null },
  };
  for (let n = 1; n <= 24; n++) {
    seeded.push(
      session(n, {
        sub: n % 3 === 0 ? 'bob' : 'alice',
        entitlementId: n % 4 === 0 ? 'prod-admin' : 'sandbox-readonly',
        roleArn: n % 4 === 0 ? 'arn:aws:iam::222222222222:role/hallpass-prod-admin' : undefined,
        requestId: n % 4 === 0 ? `rreq${n % 8}` : null,
        breakGlass: n % 5 === 0 ? glass : null,
        // Spread over three days so that time-only queries walk several day partitions.
        ageMs: n * 3 * 3600_000,
        client: { sourceIp: null, userAgent: n === 7 ? '=HYPERLINK("http://x")' : 'test' },
      }),
    );
  }
  for (const s of seeded) await putSession(table, s);
  // One record past retention: issued 10 days ago, kept 5 days.
  await putSession({ ...table, retentionDays: 5 }, session(99, { sub: 'alice', ageMs: 10 * DAY }));
  list = (await import('../../functions/sessions-list.ts')).handler;
  getOne = (await import('../../functions/sessions-get.ts')).handler;
  events = (await import('../../functions/events-list.ts')).handler;
});

describe('filters, each served by an index, newest first', () => {
  it.each([
    ['principal', { principal: 'bob' }, (s: Session) => s.principal.sub === 'bob'],
    ['entitlementId', { entitlementId: 'prod-admin' }, (s: Session) => s.entitlementId === 'prod-admin'],
    [
      'roleArn',
      { roleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin' },
      (s: Session) => s.roleArn.includes('2222'),
    ],
    ['requestId', { requestId: 'rreq4' }, (s: Session) => s.requestId === 'rreq4'],
    ['breakGlass', { breakGlass: 'true' }, (s: Session) => s.breakGlass !== null],
    ['breakGlass=false', { breakGlass: 'false' }, (s: Session) => s.breakGlass === null],
    ['nothing (the day index)', {}, () => true],
  ])('by %s', async (_, q, filter) => {
    const answer = await query('audrey', AUDITOR, { limit: '100', ...q });
    expect(answer.status).toBe(200);
    expect(ids(answer)).toEqual(expected(filter));
  });

  it('by accessKeyId, the table key', async () => {
    const target = seeded[5] as Session;
    const answer = await query('audrey', AUDITOR, { accessKeyId: target.accessKeyId });
    expect(ids(answer)).toEqual([target.id]);
    expect(answer.body.items[0]).toEqual(target);
  });

  it('combines filters and a time range', async () => {
    const from = iso(now - 2 * DAY);
    const to = iso(now - 12 * 3600_000);
    const answer = await query('audrey', AUDITOR, {
      principal: 'alice',
      entitlementId: 'sandbox-readonly',
      from,
      to,
      limit: '100',
    });
    expect(ids(answer)).toEqual(
      expected(
        (s) =>
          s.principal.sub === 'alice' &&
          s.entitlementId === 'sandbox-readonly' &&
          s.issuedAt >= from &&
          s.issuedAt <= to,
      ),
    );
    expect(answer.body.items.length).toBeGreaterThan(2);
  });

  it('walks day partitions for a time range alone', async () => {
    const from = iso(now - 50 * 3600_000);
    const answer = await query('audrey', AUDITOR, { from, limit: '100' });
    expect(ids(answer)).toEqual(expected((s) => s.issuedAt >= from));
  });
});

describe('pagination', () => {
  it('pages through every session with no duplicate and no gap', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await query('audrey', AUDITOR, { limit: '5', ...(cursor ? { cursor } : {}) });
      expect(answer.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...ids(answer));
      cursor = answer.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(expected(() => true));
    expect(pages).toBe(5);
  });

  it('refuses a modified cursor, and a cursor from another query or caller (row 24)', async () => {
    const first = await query('audrey', AUDITOR, { limit: '5' });
    const cursor = first.body.nextCursor as string;
    expect((await query('audrey', AUDITOR, { limit: '5', cursor: `${cursor.slice(0, -2)}xx` })).status).toBe(
      400,
    );
    expect((await query('audrey', AUDITOR, { limit: '5', principal: 'bob', cursor })).status).toBe(400);
    expect((await query('auggie', AUDITOR, { limit: '5', cursor })).status).toBe(400);
  });

  it('refuses the cursor of a narrower query on a broader one, with a JSON 400 naming the cursor', async () => {
    const narrow = await query('audrey', AUDITOR, { limit: '2', principal: 'alice' });
    const cursor = narrow.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));

    const broader = await query('audrey', AUDITOR, { limit: '2', cursor });

    expect(broader.status).toBe(400);
    expect(broader.body.error.code).toBe('invalid_request');
    expect(broader.body.error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('refuses a cursor of GET /v1/sessions on GET /v1/events, which binds the same filter', async () => {
    const sessions = await query('audrey', AUDITOR, { limit: '2', principal: 'alice' });
    const cursor = sessions.body.nextCursor as string;

    const story = await invoke(events, {
      path: '/v1/events',
      token: await tokenFor('audrey', { groups: AUDITOR }),
      query: { limit: '2', principal: 'alice', cursor },
    });

    expect(story.status).toBe(400);
    expect(story.body.error.code).toBe('invalid_request');
  });

  it('answers a range reaching far past the retention window at once, and pages through it', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const answer = await query('audrey', AUDITOR, {
        from: '1990-01-01T00:00:00Z',
        to: '9999-12-31T23:59:59Z',
        limit: '10',
        ...(cursor ? { cursor } : {}),
      });
      expect(answer.status).toBe(200);
      seen.push(...ids(answer));
      cursor = answer.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected(() => true));
  });

  it.each([
    [{ limit: '100000' }],
    [{ limit: '0' }],
    [{ from: '2026-11-28T12:00:00Z', to: '2026-11-27T12:00:00Z' }],
    [{ from: 'yesterday' }],
    [{ breakGlass: 'yes' }],
    [{ format: 'xml' }],
    [{ owner: 'bob' }],
  ])('row 24: refuses %j with 400', async (q) => {
    const answer = await query('audrey', AUDITOR, q);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
  });
});

describe('visibility', () => {
  it('shows others only their own sessions, whatever they filter on', async () => {
    const mine = await query('bob', ['engineers'], { limit: '100' });
    expect(ids(mine)).toEqual(expected((s) => s.principal.sub === 'bob'));
    const theirs = await query('bob', ['engineers'], { principal: 'alice' });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ items: [], nextCursor: null });
    const byKey = await query('bob', ['engineers'], { accessKeyId: (seeded[0] as Session).accessKeyId });
    expect(byKey.body.items).toEqual([]);
  });

  it('row 25: GET /v1/sessions/{id} answers 404 for another principal, 200 for its own and for auditors', async () => {
    const alices = seeded.find((s) => s.principal.sub === 'alice') as Session;
    const get = async (sub: string, groups: string[]) =>
      invoke(getOne, {
        path: `/v1/sessions/${alices.id}`,
        token: await tokenFor(sub, { groups }),
        pathParameters: { id: alices.id },
      });
    expect((await get('bob', ['engineers'])).status).toBe(404);
    expect((await get('alice', ['engineers'])).body).toEqual(alices);
    expect((await get('audrey', AUDITOR)).status).toBe(200);
  });

  it('hides records past retention, even before DynamoDB deletes them', async () => {
    const answer = await query('audrey', AUDITOR, { principal: 'alice', limit: '100' });
    expect(ids(answer)).not.toContain('s000000000000099');
    const direct = await query('audrey', AUDITOR, { accessKeyId: 'ASIATEST000000000099' });
    expect(direct.body.items).toEqual([]);
  });
});

describe('exports', () => {
  it('streams every matching record as NDJSON, past the page limit', async () => {
    const answer = await invoke(list, {
      path: '/v1/sessions',
      token: await tokenFor('audrey', { groups: AUDITOR }),
      query: { format: 'ndjson', limit: '2' },
    });
    expect(answer.headers['content-type']).toBe('application/x-ndjson');
    const lines = answer.raw
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((s: Session) => s.id)).toEqual(expected(() => true));
  });

  it('exports CSV with a header, quoting, and formula cells neutralised', async () => {
    const answer = await invoke(list, {
      path: '/v1/sessions',
      token: await tokenFor('audrey', { groups: AUDITOR }),
      query: { format: 'csv', principal: 'alice' },
    });
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = answer.raw.trimEnd().split('\r\n');
    expect(rows[0]).toMatch(/^id,issuedAt,expiresAt,principalSub,/);
    expect(rows).toHaveLength(1 + expected((s) => s.principal.sub === 'alice').length);
    const seven = rows.find((r) => r.startsWith('s000000000000007')) as string;
    expect(seven).toContain('"\'=HYPERLINK(""http://x"")"');
  });
});

describe('GET /v1/events', () => {
  it('shows the story of a request: requested, approved by whom, issued', async () => {
    const create = (await import('../../functions/requests-create.ts')).handler;
    const approve = (await import('../../functions/requests-approve.ts')).handler;
    const vend = (await import('../../functions/credentials.ts')).handler;
    const alice = await tokenFor('alice', { groups: ['engineers'], name: 'Alice' });
    const created = await invoke(create, {
      path: '/v1/requests',
      token: alice,
      body: { entitlementId: 'prod-admin', justification: 'Rotate the prod database credentials' },
    });
    const id = created.body.id as string;
    await invoke(approve, {
      method: 'POST',
      path: `/v1/requests/${id}/approve`,
      token: await tokenFor('bob', { groups: ['approvers'], name: 'Bob' }),
      pathParameters: { id },
    });
    const vended = await invoke(vend, {
      path: '/v1/credentials',
      token: alice,
      body: { entitlementId: 'prod-admin', requestId: id },
    });
    expect(vended.status).toBe(200);

    const story = await invoke(events, {
      path: '/v1/events',
      token: await tokenFor('audrey', { groups: AUDITOR }),
      query: { requestId: id },
    });
    expect(story.status).toBe(200);
    expect(story.body.items.map((e: { event: string }) => e.event).sort()).toEqual(
      ['credentials.issued', 'request.approved', 'request.created'].sort(),
    );
    const approved = story.body.items.find((e: { event: string }) => e.event === 'request.approved');
    expect(approved.actor).toEqual({ sub: 'bob', name: 'Bob' });
    const issued = story.body.items.find((e: { event: string }) => e.event === 'credentials.issued');
    expect(issued.details.accessKeyId).toBe(vended.body.credentials.accessKeyId);

    const byPerson = await invoke(events, { path: '/v1/events', token: alice, query: {} });
    expect(byPerson.body.items.map((e: { requestId: string }) => e.requestId)).toContain(id);
    const nosy = await invoke(events, {
      path: '/v1/events',
      token: await tokenFor('eve', { groups: ['engineers'] }),
      query: { requestId: id },
    });
    expect(nosy.body.items).toEqual([]);
  });
});
