/**
 * SECURITY.md's bad-input table beyond the vend path that test/integration/bad-inputs.test.ts covers:
 * rows 1-2 and 8-12 on every route that takes a body (POST /v1/console among them), rows 13-16 on
 * POST /v1/requests, rows 13-17 on POST /v1/console (the vend's rules), the console's destinations,
 * row 23's first half (break glass as a non-member), the query strings, cursors and path ids of the
 * request routes, and rows 24-25 on the session and event routes. Each: its stated status, API.md's
 * JSON error, no STS call, no DynamoDB item changed (and no write reaching dynalite). Rows 19-22 are
 * in test/integration/approval.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTables } from '../../local/dynamodb.ts';
import { scanTable } from '../../local/invariants.ts';
import type { Answer, Call } from '../support/api.ts';
import {
  expectInvariants,
  HANDLERS,
  type HandlerName,
  type Harness,
  ROUTE,
  routeCall,
  startHarness,
} from '../support/hardening.ts';
import { dynamodb } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

let h: Harness;
let alice: string;
let bob: string;
let pendingId: string;
let aliceCursor: string;
let auditor: string;
let aliceSessionId: string;
const tried = { inputs: 0 };

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

beforeAll(async () => {
  h = await startHarness();
  alice = await tokenFor('alice', { groups: ['engineers', 'approvers'], name: 'Alice' });
  bob = await tokenFor('bob', { groups: ['approvers'], name: 'Bob' });
  for (let i = 0; i < 3; i++) {
    const created = await h.call('requests-create', {
      path: '/v1/requests',
      token: alice,
      body: { entitlementId: 'prod-admin', justification: `Deploy the payments hotfix ${i}` },
    });
    pendingId = created.body.id;
  }
  const page = await h.call('requests-list', { path: '/v1/requests', token: alice, query: { limit: '1' } });
  aliceCursor = page.body.nextCursor;
  expect(aliceCursor).toEqual(expect.any(String));
  auditor = await tokenFor('audrey', { groups: ['auditors'], name: 'Audrey' });
  const vended = await h.call('credentials', {
    ...routeCall('credentials'),
    token: alice,
    body: { entitlementId: 'sandbox-readonly' },
  });
  aliceSessionId = vended.body.session.id;
});

afterAll(() => {
  process.stderr.write(`bad inputs (all routes): ${tried.inputs} refused requests\n`);
});

afterEach(async () => {
  await expectInvariants(h);
});

/**
 * Sends a request that must be refused, and checks that it changed nothing anywhere. With
 * `conditionalWrite`, a write that DynamoDB refused (its condition, e.g. "the caller's request") may
 * have reached dynalite: that attempt is how the refusal is decided, and it changes nothing.
 */
async function refused(
  route: HandlerName,
  call: Call,
  status: number,
  code: string,
  options: { conditionalWrite?: boolean } = {},
): Promise<Answer> {
  const before = await h.snapshot();
  const sts = h.stsProxy.exchanges().length;
  const dynamo = h.dynamo.exchanges().length;
  const answer = await h.call(route, call);
  tried.inputs += 1;
  expect(answer.status, answer.raw).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.body.error.code).toBe(code);
  expect(typeof answer.body.error.message).toBe('string');
  expect(answer.body.error.requestId).toBe(answer.headers['x-request-id']);
  expect(answer.raw).not.toMatch(/\bat .+\.(ts|js|mjs):\d+/);
  expect(h.stsProxy.exchanges().length, 'STS calls').toBe(sts);
  const writes = h.dynamo
    .exchanges()
    .slice(dynamo)
    .filter((x) => WRITES.has(x.operation ?? ''))
    .filter((x) => !options.conditionalWrite || x.upstreamStatus === 200);
  expect(
    writes.map((x) => `${x.operation} ${x.table}`),
    'DynamoDB writes',
  ).toEqual([]);
  expect(await h.snapshot()).toBe(before);
  return answer;
}

/** A body each route would accept. */
const GOOD_BODY: Partial<Record<HandlerName, Record<string, unknown>>> = {
  console: { entitlementId: 'sandbox-readonly' },
  'requests-create': { entitlementId: 'prod-admin', justification: 'A good reason' },
  'requests-approve': { comment: 'ok' },
  'requests-deny': { reason: 'no' },
  'requests-cancel': {},
  'sessions-review': { status: 'justified', comment: 'Incident handled' },
};
/** Every route of the table that takes a body, but the vend path (test/integration/bad-inputs.test.ts). */
const BODY_ROUTES: Array<[HandlerName, () => Call, Record<string, unknown>]> = HANDLERS.filter(
  (name) => ROUTE[name].body && name !== 'credentials',
).map((name) => [name, () => routeCall(name, pendingId), GOOD_BODY[name] ?? {}]);
// The caller for whom each body route would otherwise succeed.
const CALLER: Record<string, () => string> = {
  console: () => alice,
  'requests-create': () => alice,
  'requests-approve': () => bob,
  'requests-deny': () => bob,
  'requests-cancel': () => alice,
  'sessions-review': () => auditor,
};

describe.each(BODY_ROUTES)('%s: rows 1-2 and 8-12', (route, base, good) => {
  const json = (rawBody: string, extra: Partial<Call> = {}): Call => ({
    ...base(),
    token: CALLER[route]?.(),
    rawBody,
    headers: { 'content-type': 'application/json' },
    ...extra,
  });

  it('row 1: no Authorization header', async () => {
    const answer = await refused(route, { ...base(), body: good }, 401, 'unauthenticated');
    expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('row 2: a Basic scheme', async () => {
    await refused(
      route,
      { ...base(), body: good, headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } },
      401,
      'unauthenticated',
    );
  });

  it.each([
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/xml',
    'multipart/form-data; boundary=x',
  ])('row 8: Content-Type %s', async (type) => {
    await refused(
      route,
      json(JSON.stringify(good), { headers: { 'content-type': type } }),
      415,
      'unsupported_media_type',
    );
  });

  it('row 8: no Content-Type at all', async () => {
    await refused(route, { ...json(JSON.stringify(good)), headers: {} }, 415, 'unsupported_media_type');
  });

  it.each([
    ['1 MiB', 1024 * 1024],
    ['16 KiB + 1 byte', 16 * 1024 + 1],
  ])('row 9: a %s body', async (_name, size) => {
    const prefix = '{"pad":"';
    await refused(
      route,
      json(`${prefix}${'x'.repeat(size - prefix.length - 2)}"}`),
      413,
      'payload_too_large',
    );
  });

  it.each(['{"entitlementId":', '{', '{"a":1,}', "{'a':1}", 'nul', '{"a":"\\u12"}'])(
    'row 10: malformed JSON %j',
    async (raw) => {
      await refused(route, json(raw), 400, 'invalid_request');
    },
  );

  // Each field the route's own schema does not have (a review's body has a status of its own).
  it.each(
    [
      'tags',
      'sourceIdentity',
      'roleArn',
      'sessionName',
      'externalId',
      'policyArns',
      'status',
      'approvals',
      'requester',
    ].filter((field) => !(field in good)),
  )('row 11: a body naming %s', async (field) => {
    const answer = await refused(
      route,
      json(JSON.stringify({ ...good, [field]: 'x' })),
      400,
      'invalid_request',
    );
    expect(answer.body.error.details).toContainEqual({ path: field, message: 'unknown field' });
  });

  it.each([
    '{"__proto__":{"isAdmin":true}}',
    '{"constructor":{"prototype":{"isAdmin":true}}}',
    '{"prototype":1}',
    '{"comment":"x","nested":{"__proto__":{}}}',
  ])('row 12: %s', async (raw) => {
    await refused(route, json(raw), 400, 'invalid_request');
  });

  it.each(['[]', 'null', '"text"', '42', 'true'])('a body that is not an object: %s', async (raw) => {
    await refused(route, json(raw), 400, 'invalid_request');
  });
});

describe('POST /v1/requests: rows 13-16', () => {
  const create = (body: unknown, token = alice): Call => ({ path: '/v1/requests', token, body });

  it('row 13: an unknown entitlement is 404', async () => {
    await refused(
      'requests-create',
      create({ entitlementId: 'no-such-thing', justification: 'A good reason' }),
      404,
      'not_found',
    );
  });

  it("row 14: an entitlement the caller's groups may not request is 403", async () => {
    const marketing = await tokenFor('mark', { groups: ['marketing'] });
    await refused(
      'requests-create',
      create({ entitlementId: 'prod-admin', justification: 'A good reason' }, marketing),
      403,
      'forbidden',
    );
    // An approver who is not a requester may not ask either.
    await refused(
      'requests-create',
      create({ entitlementId: 'prod-admin', justification: 'A good reason' }, bob),
      403,
      'forbidden',
    );
  });

  it.each([899, 43201, '3600', 1.5, -900, 0, null, 1e21])(
    'row 15: durationSeconds %j is 400',
    async (durationSeconds) => {
      const answer = await refused(
        'requests-create',
        create({ entitlementId: 'prod-admin', justification: 'A good reason', durationSeconds }),
        400,
        'invalid_request',
      );
      expect(answer.body.error.details[0].path).toBe('durationSeconds');
    },
  );

  it("row 16: a duration above the entitlement's maximum is 400, never clamped", async () => {
    const answer = await refused(
      'requests-create',
      create({ entitlementId: 'quorum-two', justification: 'A good reason', durationSeconds: 3601 }),
      400,
      'invalid_request',
    );
    expect(answer.body.error.details[0].path).toBe('durationSeconds');
  });

  it.each([
    [{ entitlementId: 'prod-admin' }, 'justification'],
    [{ entitlementId: 'prod-admin', justification: 'too short' }, 'justification'],
    [{ entitlementId: 'prod-admin', justification: 'x'.repeat(1001) }, 'justification'],
    [{ entitlementId: 'prod-admin', justification: 'A good reason', ticket: '' }, 'ticket'],
    [{ entitlementId: 'prod-admin', justification: 'A good reason', ticket: 'x'.repeat(129) }, 'ticket'],
    [{ entitlementId: '', justification: 'A good reason' }, 'entitlementId'],
    [{ entitlementId: 'x'.repeat(129), justification: 'A good reason' }, 'entitlementId'],
    [{ entitlementId: ['prod-admin'], justification: 'A good reason' }, 'entitlementId'],
    [{ justification: 'A good reason' }, 'entitlementId'],
  ])('%j is 400 naming %s', async (body, path) => {
    const answer = await refused('requests-create', create(body), 400, 'invalid_request');
    expect(answer.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });
});

describe("POST /v1/console: the vend's refusals, before anything is consumed or issued", () => {
  const signIn = (body: unknown, token = alice): Call => ({ ...routeCall('console'), token, body });

  it('row 13: an unknown entitlement is 404', async () => {
    await refused('console', signIn({ entitlementId: 'no-such-thing' }), 404, 'not_found');
  });

  it("row 14: an entitlement the caller's groups may not request is 403", async () => {
    const marketing = await tokenFor('mark', { groups: ['marketing'] });
    await refused('console', signIn({ entitlementId: 'sandbox-readonly' }, marketing), 403, 'forbidden');
  });

  it.each([899, 43201, '3600', 1.5, null])('row 15: durationSeconds %j is 400', async (durationSeconds) => {
    const answer = await refused(
      'console',
      signIn({ entitlementId: 'sandbox-readonly', durationSeconds }),
      400,
      'invalid_request',
    );
    expect(answer.body.error.details[0].path).toBe('durationSeconds');
  });

  it("row 16: a duration above the entitlement's maximum is 400, never clamped", async () => {
    await refused(
      'console',
      signIn({ entitlementId: 'sandbox-poweruser', durationSeconds: 43200 + 1 }),
      400,
      'invalid_request',
    );
  });

  it('row 17: an entitlement that needs approval, without a requestId, is 403 approval_required', async () => {
    await refused('console', signIn({ entitlementId: 'prod-admin' }), 403, 'approval_required');
  });

  it("row 18: someone else's requestId is 404 (the consuming write's condition refuses it)", async () => {
    const eve = await tokenFor('eve', { groups: ['engineers'] });
    await refused(
      'console',
      signIn({ entitlementId: 'prod-admin', requestId: pendingId }, eve),
      404,
      'not_found',
      { conditionalWrite: true },
    );
  });

  it('row 23 (first half): break glass by a caller outside the break-glass groups is 403', async () => {
    const engineer = await tokenFor('eve', { groups: ['engineers'] });
    await refused(
      'console',
      signIn(
        { entitlementId: 'prod-admin', breakGlass: { justification: 'INC-1: payments API is down' } },
        engineer,
      ),
      403,
      'forbidden',
    );
  });
});

describe('POST /v1/console: destinations off the console, each 400 before anything is consumed or issued', () => {
  it.each<[string, unknown]>([
    ['a look-alike host under another domain', 'https://console.aws.amazon.com.evil.example/'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a user name before the console host', 'https://user@console.aws.amazon.com/'],
    ['plain http', 'http://console.aws.amazon.com/'],
    ['a 3000-character URL', 'https://console.aws.amazon.com/'.padEnd(3000, 'a')],
    ['a number', 42],
    ['an object', { url: 'https://console.aws.amazon.com/' }],
    ['null', null],
    ['an empty string', ''],
    ['a backslash trick', 'https://evil.example\\@console.aws.amazon.com/'],
    ['a port', 'https://console.aws.amazon.com:8443/'],
    ['a scheme-relative URL', '//console.aws.amazon.com/'],
    ['a host that only ends like the console', 'https://evilconsole.aws.amazon.com/'],
  ])('%s', async (_name, destination) => {
    // On an entitlement each caller may vend directly: only the destination is wrong.
    for (const entitlementId of ['sandbox-readonly', 'sandbox-poweruser']) {
      const answer = await refused(
        'console',
        { ...routeCall('console'), token: alice, body: { entitlementId, destination } },
        400,
        'invalid_request',
      );
      expect(answer.body.error.details.map((d: { path: string }) => d.path)).toContain('destination');
    }
  });
});

describe('decisions: bodies and ids', () => {
  it.each([
    ['requests-approve', { comment: 'x'.repeat(1001) }],
    ['requests-approve', { comment: '' }],
    ['requests-approve', { comment: 42 }],
    ['requests-deny', {}],
    ['requests-deny', { reason: '' }],
    ['requests-deny', { reason: 'x'.repeat(1001) }],
    ['requests-cancel', { reason: 'changed my mind' }],
  ] as const)('%s with %j is 400', async (route, body) => {
    const action = route.replace('requests-', '');
    await refused(
      route,
      {
        method: 'POST',
        path: `/v1/requests/${pendingId}/${action}`,
        pathParameters: { id: pendingId },
        token: route === 'requests-cancel' ? alice : bob,
        body,
      },
      400,
      'invalid_request',
    );
  });

  it.each(['RABC', 'r'.repeat(65), 'r-1', 'r_1', '../r1', 'r1%00', 'meta#cursor-key', ''])(
    'a request id that cannot exist (%j) is 404 on every request route',
    async (id) => {
      for (const route of HANDLERS.filter((name) => ROUTE[name].path.startsWith('/v1/requests/{id}'))) {
        await refused(
          route,
          {
            method: route === 'requests-get' ? 'GET' : 'POST',
            path: `/v1/requests/${id}`,
            pathParameters: { id },
            token: bob,
            ...(route === 'requests-deny' ? { body: { reason: 'no' } } : {}),
          },
          404,
          'not_found',
        );
      }
    },
  );

  it('an unknown route is a JSON 404', async () => {
    for (const [method, path] of <Array<[string, string]>>[
      ['GET', '/v1/admin'],
      ['DELETE', '/v1/requests/rabc'],
      ['PUT', '/v1/credentials'],
      ['GET', '/v2/health'],
    ]) {
      await refused('not-found', { method, path }, 404, 'not_found');
    }
  });
});

describe('row 23 (first half): break glass', () => {
  it('by a caller outside the break-glass groups is 403, even with a good justification', async () => {
    const engineer = await tokenFor('eve', { groups: ['engineers'] });
    await refused(
      'credentials',
      {
        path: '/v1/credentials',
        token: engineer,
        body: { entitlementId: 'prod-admin', breakGlass: { justification: 'INC-1: payments API is down' } },
      },
      403,
      'forbidden',
    );
  });

  it('on an entitlement without break glass is 403 even for oncall', async () => {
    const oncall = await tokenFor('olive', { groups: ['oncall', 'engineers'] });
    await refused(
      'credentials',
      {
        path: '/v1/credentials',
        token: oncall,
        body: {
          entitlementId: 'sandbox-readonly',
          breakGlass: { justification: 'INC-1: payments API is down' },
        },
      },
      403,
      'forbidden',
    );
  });

  it.each([
    { justification: 'x'.repeat(1001) },
    { justification: 'INC-1: payments API is down', approver: 'me' },
    {},
    'INC-1: payments API is down',
  ])('a breakGlass of %j is 400', async (breakGlass) => {
    const oncall = await tokenFor('olive', { groups: ['oncall'] });
    await refused(
      'credentials',
      { path: '/v1/credentials', token: oncall, body: { entitlementId: 'prod-admin', breakGlass } },
      400,
      'invalid_request',
    );
  });

  it('with a requestId as well is 400', async () => {
    const oncall = await tokenFor('olive', { groups: ['oncall', 'engineers'] });
    await refused(
      'credentials',
      {
        path: '/v1/credentials',
        token: oncall,
        body: {
          entitlementId: 'prod-admin',
          requestId: pendingId,
          breakGlass: { justification: 'INC-1: payments API is down' },
        },
      },
      400,
      'invalid_request',
    );
  });
});

describe('GET /v1/requests: query strings and cursors', () => {
  const list = (query: Record<string, string>, token = alice): Call => ({
    path: '/v1/requests',
    token,
    query,
  });

  it.each<Record<string, string>>([
    { limit: '0' },
    { limit: '101' },
    { limit: '100000' },
    { limit: '-1' },
    { limit: '1.5' },
    { limit: '1e2' },
    { limit: 'abc' },
    { limit: '' },
    { view: 'everyone' },
    { view: 'MINE' },
    { status: 'approved,pending' },
    { status: 'unknown' },
    { sort: 'asc' },
    { principal: 'bob' },
    { cursor: '' },
    { cursor: 'x'.repeat(2049) },
  ])('%j is 400', async (query) => {
    await refused('requests-list', list(query), 400, 'invalid_request');
  });

  it('a tampered cursor is 400', async () => {
    const [payload = '', signature = ''] = aliceCursor.split('.');
    const variants = [
      `${payload.slice(0, -2)}${payload.endsWith('A') ? 'B' : 'A'}${payload.slice(-1)}.${signature}`,
      `${payload}.${signature.slice(0, -3)}AAA`,
      `${payload}.`,
      payload,
      `${Buffer.from(JSON.stringify({ sub: 'alice', view: 'mine', status: null, before: '9' })).toString('base64url')}.${signature}`,
      'not-a-cursor',
    ];
    for (const cursor of variants) await refused('requests-list', list({ cursor }), 400, 'invalid_request');
  });

  it("another caller's cursor, or one bound to another query, is 400", async () => {
    await refused('requests-list', list({ cursor: aliceCursor }, bob), 400, 'invalid_request');
    await refused('requests-list', list({ cursor: aliceCursor, status: 'pending' }), 400, 'invalid_request');
    await refused('requests-list', list({ cursor: aliceCursor, view: 'approvable' }), 400, 'invalid_request');
  });
});

describe('rows 24-25: the session and event routes', () => {
  const get = (route: HandlerName, query: Record<string, string>, token = auditor): Call => ({
    ...routeCall(route),
    token,
    query,
  });

  it.each<[HandlerName, Record<string, string>]>([
    ['sessions-list', { limit: '100000' }],
    ['sessions-list', { limit: '0' }],
    ['sessions-list', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
    ['sessions-list', { from: 'yesterday' }],
    ['sessions-list', { format: 'xml' }],
    ['sessions-list', { accessKeyId: 'not-a-key' }],
    ['sessions-list', { breakGlass: 'yes' }],
    ['sessions-list', { cursor: 'not-a-cursor' }],
    ['sessions-export', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
    ['sessions-export', { format: 'json' }],
    ['sessions-export', { limit: '10' }],
    ['sessions-export', { cursor: 'not-a-cursor' }],
    ['events-list', { limit: '100000' }],
    ['events-list', { cursor: 'not-a-cursor' }],
    ['events-list', { view: 'all' }],
  ])('row 24: %s with %j is 400', async (route, query) => {
    await refused(route, get(route, query), 400, 'invalid_request');
  });

  it('row 24: a cursor of another listing (GET /v1/requests) is 400 on each', async () => {
    for (const route of ['sessions-list', 'sessions-export', 'events-list'] as const) {
      await refused(route, get(route, { cursor: aliceCursor }), 400, 'invalid_request');
    }
  });

  it('row 25: GET /v1/sessions/{id} of another principal, by a caller who is not an auditor, is 404', async () => {
    const eve = await tokenFor('eve', { groups: ['engineers'] });
    await refused(
      'sessions-get',
      { ...routeCall('sessions-get', aliceSessionId), token: eve },
      404,
      'not_found',
    );
    // The control: the auditor sees it.
    const seen = await h.call('sessions-get', {
      ...routeCall('sessions-get', aliceSessionId),
      token: auditor,
    });
    expect(seen.status, seen.raw).toBe(200);
  });

  it('a review by a caller who is not an auditor is 403, and of a session that does not exist 404', async () => {
    await refused(
      'sessions-review',
      { ...routeCall('sessions-review', aliceSessionId), token: alice, body: GOOD_BODY['sessions-review'] },
      403,
      'forbidden',
    );
    await refused(
      'sessions-review',
      {
        ...routeCall('sessions-review', 'nosuchsession000'),
        token: auditor,
        body: GOOD_BODY['sessions-review'],
      },
      404,
      'not_found',
    );
  });
});

describe('deep nesting', () => {
  it('a body of 8000 nested arrays (16 000 bytes, under the 16 KiB limit) is 400, not 500', async () => {
    const rawBody = `${'['.repeat(8000)}${']'.repeat(8000)}`;
    for (const route of ['credentials', 'console', 'requests-create'] as const) {
      await refused(
        route,
        {
          ...routeCall(route),
          token: alice,
          rawBody,
          headers: { 'content-type': 'application/json' },
        },
        400,
        'invalid_request',
      );
    }
  });
});

describe('invariant 6 on expired requests', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a refused decision (403) on an expired request changes no DynamoDB item', async () => {
    const requester = await tokenFor('alice', { groups: ['engineers'], expiresIn: 86400 });
    const created = await h.call('requests-create', {
      path: '/v1/requests',
      token: requester,
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + (86400 + 60) * 1000);
    // An auditor sees the request but may not decide it (a caller who may not see it gets 404).
    const auditor = await tokenFor('mallory', { groups: ['auditors'] });
    await refused(
      'requests-approve',
      { method: 'POST', path: `/v1/requests/${id}/approve`, pathParameters: { id }, token: auditor },
      403,
      'forbidden',
    );
  });
});

describe('invariant 6 on a fresh deployment', () => {
  afterAll(async () => {
    await h.restore();
  });

  it('the first listing with a forged cursor (400) writes nothing, not even the cursor key', async () => {
    const fresh = await ensureTables(dynamodb(), `t${randomBytes(4).toString('hex')}`);
    await h.coldStart({
      HALLPASS_REQUESTS_TABLE: fresh.RequestsTable,
      HALLPASS_AUDIT_TABLE: fresh.AuditTable,
    });
    const answer = await h.call('requests-list', {
      path: '/v1/requests',
      token: alice,
      query: { cursor: 'eyJ4IjoxfQ.AAAA' },
    });
    expect(answer.status).toBe(400);
    expect(await scanTable(dynamodb(), fresh.RequestsTable as string)).toEqual([]);
  });
});
