/**
 * DynamoDB faults injected for real, by the fault proxy between the SDK and dynalite (throttling in
 * DynamoDB's own JSON error shapes, connection resets, delays) and by pointing the service at a port
 * where nothing listens (dynalite stopped). For each: bounded retries (the SDK's 3 attempts) inside
 * the Lambda's time budget, then 503 with Retry-After; no credentials without an audit record; no
 * approval use lost without a trace; a log line that says what failed, without a secret. POST
 * /v1/console meets the vend's faults with the vend's outcomes, and asks the federation endpoint for
 * nothing that is not audited. The routes without DynamoDB (health, the OIDC documents) keep working
 * when it is down. The invariant checker runs after every test.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoError, type Exchange, type FaultRule } from '../../local/fault-proxy.ts';
import { scanTable } from '../../local/invariants.ts';
import type { Answer } from '../support/api.ts';
import { expectInvariants, type Harness, logLines, routeCall, startHarness } from '../support/hardening.ts';
import { dynamodb } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

// serverless.yml: 15 s for the vend function, 10 s (the default) for the others.
const VEND_BUDGET_MS = 15_000;
const BUDGET_MS = 10_000;
const MAX_ATTEMPTS = 3;

let h: Harness;
let from: { exchanges: number; logs: number; issued: number; federation: number };
const faults = { injected: 0 };

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => {
  process.stderr.write(`dynamodb faults: ${faults.injected} injected responses\n`);
});
beforeEach(async () => {
  // A cold start per test: fresh SDK clients, so retry quotas do not carry over between tests.
  await h.coldStart();
  from = {
    exchanges: h.dynamo.exchanges().length,
    logs: h.ledger.logs.length,
    issued: h.sts.issuedAccessKeyIds().length,
    federation: h.federation.exchanges().length,
  };
});
afterEach(async () => {
  faults.injected += h.dynamo
    .exchanges()
    .slice(from.exchanges)
    .filter((x) => x.fault).length;
  h.dynamo.setFaults([]);
  await expectInvariants(h);
});

const token = (sub: string, groups: string[]) => tokenFor(sub, { groups, name: `${sub} name` });
const ENGINEER = ['engineers'];
const APPROVER = ['approvers'];

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await run();
  return [result, Date.now() - started];
}

const vendDirect = async (sub = 'alice') =>
  timed(async () =>
    h.call('credentials', {
      path: '/v1/credentials',
      token: await token(sub, ENGINEER),
      body: { entitlementId: 'sandbox-readonly' },
    }),
  );
const vendWith = async (requestId: string, sub = 'alice') =>
  timed(async () =>
    h.call('credentials', {
      path: '/v1/credentials',
      token: await token(sub, ENGINEER),
      body: { entitlementId: 'prod-admin', requestId },
    }),
  );

const signIn = async (body: Record<string, unknown>, sub = 'alice') =>
  timed(async () => h.call('console', { ...routeCall('console'), token: await token(sub, ENGINEER), body }));
const federationCalls = () => h.federation.exchanges().slice(from.federation);

async function approvedRequest(requester = 'alice'): Promise<string> {
  const created = await h.call('requests-create', {
    path: '/v1/requests',
    token: await token(requester, ENGINEER),
    body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const approved = await h.call('requests-approve', {
    method: 'POST',
    path: `/v1/requests/${id}/approve`,
    token: await token('bob', APPROVER),
    pathParameters: { id },
  });
  expect(approved.status).toBe(200);
  return id;
}

async function storedRequest(id: string) {
  const items = await scanTable(dynamodb(), h.tables.requests);
  return items.find((item) => item.id === id) as
    | {
        usesRemaining: number;
        consumptions: unknown[];
        unissued: Array<{ reason: string }>;
        state: string;
        approvals: unknown[];
      }
    | undefined;
}

const since = (): Exchange[] => h.dynamo.exchanges().slice(from.exchanges);
/** Counts DynamoDB calls from here on (after the arrangement's own calls). */
const mark = () => {
  from.exchanges = h.dynamo.exchanges().length;
};
const attempts = (operation: string, table: string, match?: (x: Exchange) => boolean) =>
  since().filter((x) => x.operation === operation && x.table === table && (!match || match(x))).length;
const isConsume = (x: Exchange) => x.body.includes('consumptions = list_append');
const isUnissued = (x: Exchange) => x.body.includes('unissued = list_append');

function expect503(answer: Answer, elapsed: number, budget: number) {
  expect(answer.status, answer.raw).toBe(503);
  expect(answer.body.error.code).toBe('upstream_unavailable');
  expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(answer.body.credentials).toBeUndefined();
  expect(answer.raw).not.toMatch(/ASIA[A-Z0-9]{16}/);
  expect(elapsed).toBeLessThan(budget);
}

/** The http.error line of the request: names DynamoDB and the AWS error, carries no secret. */
function expectLogged(answer: Answer, pattern: RegExp) {
  const line = logLines(h, from.logs).find(
    (l) => l.event === 'http.error' && l.requestId === answer.body.error.requestId,
  );
  expect(line, 'an http.error log line').toBeDefined();
  expect(`${line?.message} ${line?.cause ?? ''}`).toMatch(pattern);
  return line;
}

const audit = (action: FaultRule['action'], extra: Partial<FaultRule> = {}): FaultRule => ({
  operation: 'PutItem',
  table: h.tables.audit,
  action,
  ...extra,
});

describe('the audit write fails (direct vend)', () => {
  it.each([
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'RequestLimitExceeded',
    'InternalServerError',
  ])(
    '%s on every attempt: 3 attempts, 503, the key STS issued is never returned and is logged',
    async (type) => {
      h.dynamo.setFaults([audit(dynamoError(type))]);
      const [answer, elapsed] = await vendDirect();
      expect503(answer, elapsed, VEND_BUDGET_MS);
      expect(attempts('PutItem', h.tables.audit)).toBe(MAX_ATTEMPTS);
      const minted = h.sts.issuedAccessKeyIds().slice(from.issued);
      expect(minted).toHaveLength(1);
      const unaudited = logLines(h, from.logs).find((l) => l.event === 'credentials.unaudited');
      expect(unaudited?.accessKeyId).toBe(minted[0]);
      expectLogged(answer, new RegExp(`audit record could not be written \\(${type}\\)`));
      expect(await scanTable(dynamodb(), h.tables.audit)).not.toContainEqual(
        expect.objectContaining({ accessKeyId: minted[0] }),
      );
    },
  );

  it('throttled twice, then accepted: the third attempt succeeds and the caller gets audited credentials', async () => {
    h.dynamo.setFaults([audit(dynamoError('ThrottlingException'), { times: 2 })]);
    const [answer, elapsed] = await vendDirect();
    expect(answer.status).toBe(200);
    expect(attempts('PutItem', h.tables.audit)).toBe(3);
    expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
  });

  it('connection reset before the write reaches DynamoDB, every time: 503 after 3 attempts', async () => {
    h.dynamo.setFaults([audit({ kind: 'reset' })]);
    const [answer, elapsed] = await vendDirect();
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect(attempts('PutItem', h.tables.audit)).toBe(MAX_ATTEMPTS);
    expectLogged(answer, /audit record could not be written/);
  });

  it('connection reset once: the retry writes the record and the caller gets credentials', async () => {
    h.dynamo.setFaults([audit({ kind: 'reset' }, { times: 1 })]);
    const [answer] = await vendDirect();
    expect(answer.status).toBe(200);
  });

  it('connection reset after the record was written: no credentials are returned, and the record stays the only one', async () => {
    h.dynamo.setFaults([audit({ kind: 'reset', when: 'after' }, { times: 1 })]);
    const [answer, elapsed] = await vendDirect();
    // The retry finds the record already there (conditional put): hallpass cannot tell that it was
    // its own, and fails closed. The invariant (at most one record per key) holds.
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expectLogged(answer, /ConditionalCheckFailedException/);
  });

  it('slow DynamoDB (1.5 s per call): slower, still audited, inside the budget', async () => {
    h.dynamo.setFaults([{ action: { kind: 'delay', ms: 1500 } }]);
    const [answer, elapsed] = await vendDirect();
    expect(answer.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
  });
});

describe('vending with an approved request', () => {
  it('the consuming write is throttled: 503, nothing consumed, no STS call; the approval still works afterwards', async () => {
    const id = await approvedRequest();
    mark();
    h.dynamo.setFaults([
      {
        operation: 'UpdateItem',
        table: h.tables.requests,
        match: isConsume,
        action: dynamoError('ProvisionedThroughputExceededException'),
      },
    ]);
    const stsBefore = h.stsProxy.exchanges().length;
    const [answer, elapsed] = await vendWith(id);
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect(attempts('UpdateItem', h.tables.requests, isConsume)).toBe(MAX_ATTEMPTS);
    expect(h.stsProxy.exchanges().length).toBe(stsBefore);
    expect((await storedRequest(id))?.usesRemaining).toBe(1);
    expectLogged(answer, /could not consume the approval \(ProvisionedThroughputExceededException\)/);

    h.dynamo.setFaults([]);
    const [retry] = await vendWith(id);
    expect(retry.status).toBe(200);
  });

  it('the audit write fails after the use was consumed: 503, and the request records the unissued use', async () => {
    const id = await approvedRequest();
    h.dynamo.setFaults([audit(dynamoError('ThrottlingException'))]);
    const [answer, elapsed] = await vendWith(id);
    expect503(answer, elapsed, VEND_BUDGET_MS);
    const stored = await storedRequest(id);
    expect(stored?.usesRemaining).toBe(0);
    expect(stored?.unissued).toEqual([
      { sessionId: expect.any(String), at: expect.any(String), reason: 'UpstreamUnavailableError' },
    ]);
    expect(logLines(h, from.logs).some((l) => l.event === 'credentials.unaudited')).toBe(true);
  });

  it('the audit write and the unissued record both fail: 503, and a log line names the lost use', async () => {
    const id = await approvedRequest();
    mark();
    h.dynamo.setFaults([
      audit(dynamoError('ThrottlingException')),
      { operation: 'UpdateItem', match: isUnissued, action: dynamoError('ThrottlingException') },
    ]);
    const [answer, elapsed] = await vendWith(id);
    expect503(answer, elapsed, VEND_BUDGET_MS);
    const stored = await storedRequest(id);
    expect(stored?.unissued).toEqual([]);
    const line = logLines(h, from.logs).find((l) => l.event === 'request.unissued_unrecorded');
    expect(line).toMatchObject({
      requestId: id,
      sessionId: expect.any(String),
      reason: 'UpstreamUnavailableError',
    });
    expect(attempts('UpdateItem', h.tables.requests, isUnissued)).toBe(MAX_ATTEMPTS);
  });
});

describe('the approval workflow', () => {
  it('creating a request is throttled: 503, nothing stored', async () => {
    const before = await h.snapshot();
    h.dynamo.setFaults([
      { operation: 'PutItem', table: h.tables.requests, action: dynamoError('ThrottlingException') },
    ]);
    const [answer, elapsed] = await timed(async () =>
      h.call('requests-create', {
        path: '/v1/requests',
        token: await token('carol', ENGINEER),
        body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
      }),
    );
    expect503(answer, elapsed, BUDGET_MS);
    expect(await h.snapshot()).toBe(before);
    expectLogged(answer, /could not store the request \(ThrottlingException\)/);
  });

  it('an approval write is throttled: 503, the request stays pending and can be approved afterwards', async () => {
    const created = await h.call('requests-create', {
      path: '/v1/requests',
      token: await token('dora', ENGINEER),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    const approve = async () =>
      h.call('requests-approve', {
        method: 'POST',
        path: `/v1/requests/${id}/approve`,
        token: await token('bob', APPROVER),
        pathParameters: { id },
      });
    h.dynamo.setFaults([
      {
        operation: 'PutItem',
        table: h.tables.requests,
        action: dynamoError('ProvisionedThroughputExceededException'),
      },
    ]);
    const [answer, elapsed] = await timed(approve);
    expect503(answer, elapsed, BUDGET_MS);
    expect((await storedRequest(id))?.state).toBe('pending');
    h.dynamo.setFaults([]);
    expect((await approve()).status).toBe(200);
  });

  it('the audit event of an approval cannot be written: the decision stands and the failure is logged', async () => {
    const created = await h.call('requests-create', {
      path: '/v1/requests',
      token: await token('erin', ENGINEER),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    h.dynamo.setFaults([audit(dynamoError('ThrottlingException'))]);
    const answer = await h.call('requests-approve', {
      method: 'POST',
      path: `/v1/requests/${id}/approve`,
      token: await token('bob', APPROVER),
      pathParameters: { id },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('approved');
    const line = logLines(h, from.logs).find((l) => l.level === 'error' && l.requestId === id);
    expect(line).toMatchObject({
      error: 'UpstreamUnavailableError',
      message: 'the audit event could not be written',
    });
    expect(line?.cause).toMatch(/ThrottlingException/);
  });

  it.each([
    ['reading a request', 'requests-get', 'GetItem'],
    ['listing requests', 'requests-list', 'Query'],
  ] as const)('%s is throttled: 503 after 3 attempts', async (_name, route, operation) => {
    const id = await approvedRequest('fred');
    mark();
    // The cursor key is read before the listing: let it through, throttle what the route is about.
    h.dynamo.setFaults([
      {
        operation,
        match: (x) => !x.body.includes('meta#cursor-key'),
        action: dynamoError('ThrottlingException'),
      },
    ]);
    const [answer, elapsed] = await timed(async () =>
      h.call(route, {
        path: route === 'requests-get' ? `/v1/requests/${id}` : '/v1/requests',
        token: await token('fred', ENGINEER),
        ...(route === 'requests-get' ? { pathParameters: { id } } : {}),
      }),
    );
    expect503(answer, elapsed, BUDGET_MS);
    expect(attempts(operation, h.tables.requests, (x) => !x.body.includes('meta#cursor-key'))).toBe(
      MAX_ATTEMPTS,
    );
  });
});

describe('dynalite stopped (nothing listens on the endpoint)', () => {
  const stopped = () => h.coldStart({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' });

  it('a direct vend: STS issues, the audit write cannot happen, no credentials leave (503)', async () => {
    await stopped();
    const [answer, elapsed] = await vendDirect();
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect(logLines(h, from.logs).some((l) => l.event === 'credentials.unaudited')).toBe(true);
    expectLogged(answer, /audit record could not be written/);
  });

  it('a vend with a request: 503 before STS is called', async () => {
    const id = await approvedRequest('gina');
    await stopped();
    const stsBefore = h.stsProxy.exchanges().length;
    const [answer, elapsed] = await vendWith(id, 'gina');
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect(h.stsProxy.exchanges().length).toBe(stsBefore);
    await h.restore();
    expect((await storedRequest(id))?.usesRemaining).toBe(1);
  });

  it.each([
    [
      'requests-create',
      {
        ...routeCall('requests-create'),
        body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
      },
    ],
    ['requests-list', routeCall('requests-list')],
    ['requests-get', routeCall('requests-get', 'rabc')],
    ['requests-approve', routeCall('requests-approve', 'rabc')],
    ['sessions-list', routeCall('sessions-list')],
    ['sessions-get', routeCall('sessions-get', 'sabcdefghijklmno')],
    ['sessions-export', routeCall('sessions-export')],
    ['events-list', routeCall('events-list')],
  ] as const)('%s: 503 with Retry-After', async (route, call) => {
    await stopped();
    const [answer, elapsed] = await timed(async () =>
      h.call(route, { ...call, token: await token('hank', ['engineers', 'approvers']) }),
    );
    expect503(answer, elapsed, BUDGET_MS);
  });

  it('the routes that need no DynamoDB keep working', async () => {
    await stopped();
    expect((await h.call('health', { path: '/v1/health' })).status).toBe(200);
    for (const route of ['oidc-configuration', 'oidc-jwks'] as const) {
      expect((await h.call(route, routeCall(route))).status).toBe(200);
    }
    const answer = await h.call('entitlements', {
      path: '/v1/entitlements',
      token: await token('ivy', ENGINEER),
    });
    expect(answer.status).toBe(200);
  });
});

describe('POST /v1/console meets the same DynamoDB faults as a vend', () => {
  it.each([
    ['assume-role', 'sandbox-readonly'],
    ['web-identity', 'sandbox-poweruser'],
  ])(
    'the audit write is throttled throughout (%s): 503, the key STS issued is never used nor returned, no sign-in asked for',
    async (_mode, entitlementId) => {
      h.dynamo.setFaults([audit(dynamoError('ThrottlingException'))]);
      const [answer, elapsed] = await signIn({ entitlementId });
      expect503(answer, elapsed, VEND_BUDGET_MS);
      expect(answer.body.url).toBeUndefined();
      expect(attempts('PutItem', h.tables.audit)).toBe(MAX_ATTEMPTS);
      const minted = h.sts.issuedAccessKeyIds().slice(from.issued);
      expect(minted).toHaveLength(1);
      const unaudited = logLines(h, from.logs).find((l) => l.event === 'credentials.unaudited');
      expect(unaudited?.accessKeyId).toBe(minted[0]);
      expectLogged(answer, /audit record could not be written \(ThrottlingException\)/);
      expect(federationCalls()).toEqual([]);
    },
  );

  it('the audit record landed but its answer was lost: 503 (fails closed), no sign-in asked for', async () => {
    h.dynamo.setFaults([audit({ kind: 'reset', when: 'after' }, { times: 1 })]);
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-readonly' });
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect(federationCalls()).toEqual([]);
  });

  it('throttled twice, then accepted: the sign-in URL names the audited session', async () => {
    h.dynamo.setFaults([audit(dynamoError('ThrottlingException'), { times: 2 })]);
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-readonly' });
    expect(answer.status, answer.raw).toBe(200);
    expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
    const records = (await scanTable(dynamodb(), h.tables.audit)).filter(
      (item) => item.kind === 'session' && item.sessionId === answer.body.session.id,
    );
    expect(records).toHaveLength(1);
  });

  it('the consuming write is throttled: 503, nothing consumed, no STS call, no sign-in asked for', async () => {
    const id = await approvedRequest();
    mark();
    h.dynamo.setFaults([
      {
        operation: 'UpdateItem',
        table: h.tables.requests,
        match: isConsume,
        action: dynamoError('ProvisionedThroughputExceededException'),
      },
    ]);
    const stsBefore = h.stsProxy.exchanges().length;
    const [answer, elapsed] = await signIn({ entitlementId: 'prod-admin', requestId: id });
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect(attempts('UpdateItem', h.tables.requests, isConsume)).toBe(MAX_ATTEMPTS);
    expect(h.stsProxy.exchanges().length).toBe(stsBefore);
    expect((await storedRequest(id))?.usesRemaining).toBe(1);
    expect(federationCalls()).toEqual([]);
  });

  it('the audit write fails after the use was consumed: 503, and the request records the unissued use', async () => {
    const id = await approvedRequest();
    h.dynamo.setFaults([audit(dynamoError('ThrottlingException'))]);
    const [answer, elapsed] = await signIn({ entitlementId: 'prod-admin', requestId: id });
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect((await storedRequest(id))?.unissued).toEqual([
      { sessionId: expect.any(String), at: expect.any(String), reason: 'UpstreamUnavailableError' },
    ]);
    expect(federationCalls()).toEqual([]);
  });

  it('dynalite stopped: STS issues, the audit write cannot happen, no sign-in asked for (503)', async () => {
    await h.coldStart({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' });
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-readonly' });
    expect503(answer, elapsed, VEND_BUDGET_MS);
    expect(logLines(h, from.logs).some((l) => l.event === 'credentials.unaudited')).toBe(true);
    expect(federationCalls()).toEqual([]);
  });
});

describe('a write that landed but whose answer was lost (connection reset after DynamoDB acted)', () => {
  it('on the consuming write: the caller gets the credentials of its use, or a 503 with the use recorded, never a 409 with the use gone', async () => {
    const id = await approvedRequest('kate');
    h.dynamo.setFaults([
      { operation: 'UpdateItem', match: isConsume, times: 1, action: { kind: 'reset', when: 'after' } },
    ]);
    const [answer] = await vendWith(id, 'kate');
    expect([200, 503]).toContain(answer.status);
    if (answer.status === 503) expect((await storedRequest(id))?.unissued).toHaveLength(1);
  });

  it('on creating a request: 201 (or 503), never 500', async () => {
    h.dynamo.setFaults([
      { operation: 'PutItem', table: h.tables.requests, times: 1, action: { kind: 'reset', when: 'after' } },
    ]);
    const answer = await h.call('requests-create', {
      path: '/v1/requests',
      token: await token('liam', ENGINEER),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    expect([201, 503]).toContain(answer.status);
  });

  it('on an approval: the approver is told it counted, and request.approved is recorded', async () => {
    const created = await h.call('requests-create', {
      path: '/v1/requests',
      token: await token('nina', ENGINEER),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    h.dynamo.setFaults([
      { operation: 'PutItem', table: h.tables.requests, times: 1, action: { kind: 'reset', when: 'after' } },
    ]);
    const answer = await h.call('requests-approve', {
      method: 'POST',
      path: `/v1/requests/${id}/approve`,
      token: await token('bob', APPROVER),
      pathParameters: { id },
    });
    expect((await storedRequest(id))?.state).toBe('approved');
    expect(answer.status).toBe(200);
    const events = (await scanTable(dynamodb(), h.tables.audit))
      .filter((i) => i.requestId === id)
      .map((i) => i.event);
    expect(events).toContain('request.approved');
  });
});

describe('log lines', () => {
  it('the line of an unwritten audit event is named audit.event_unwritten, not after the event it lost', async () => {
    const created = await h.call('requests-create', {
      path: '/v1/requests',
      token: await token('oscar', ENGINEER),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    h.dynamo.setFaults([audit(dynamoError('ThrottlingException'))]);
    await h.call('requests-approve', {
      method: 'POST',
      path: `/v1/requests/${id}/approve`,
      token: await token('bob', APPROVER),
      pathParameters: { id },
    });
    const errors = logLines(h, from.logs).filter((l) => l.level === 'error' && l.requestId === id);
    expect(errors.map((l) => l.event)).toEqual(['audit.event_unwritten']);
  });
});
