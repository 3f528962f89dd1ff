/**
 * POST /v1/console when AWS's federation endpoint fails, injected for real by the fault proxy in
 * front of the harness's local federation endpoint (HTTP errors, answers that are not a sign-in
 * token, resets before and after it issued one, a redirect, no answer) and by pointing hallpass at a
 * port where nothing listens. The session is vended and audited before the endpoint is asked, so for
 * each: 503 upstream_unavailable with Retry-After inside the 15 s budget, no credentials and no URL
 * in the answer, the session's audit record in place (with an approved request: its use consumed by
 * that audited session, not recorded as unissued), a console.signin_failed line naming the session,
 * and no secret (credentials, any SigninToken the endpoint issued) in a log line or an item. Also the
 * invariant checker itself: a sign-in without its audit record, or with its token logged, is caught.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultAction } from '../../local/fault-proxy.ts';
import { checkInvariants, Ledger, scanTable } from '../../local/invariants.ts';
import type { Answer } from '../support/api.ts';
import { expectInvariants, type Harness, logLines, routeCall, startHarness } from '../support/hardening.ts';
import { dynamodb } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

const VEND_BUDGET_MS = 15_000;
let h: Harness;
let from: { federation: number; logs: number; issued: number; sts: number };
const faults = { injected: 0 };

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  process.stderr.write(`federation faults: ${faults.injected} injected\n`);
  await h.restore();
});
beforeEach(async () => {
  await h.coldStart();
  from = {
    federation: h.federation.exchanges().length,
    logs: h.ledger.logs.length,
    issued: h.sts.issuedAccessKeyIds().length,
    sts: h.stsProxy.exchanges().length,
  };
});
afterEach(async () => {
  faults.injected += h.federation
    .exchanges()
    .slice(from.federation)
    .filter((x) => x.fault).length;
  h.federation.setFaults([]);
  await expectInvariants(h);
});

const token = (sub: string, groups = ['engineers']) => tokenFor(sub, { groups, name: `${sub} name` });

async function signIn(body: Record<string, unknown>, sub = 'alice'): Promise<[Answer, number]> {
  const t = await token(sub);
  const started = Date.now();
  const answer = await h.call('console', { ...routeCall('console'), token: t, body });
  return [answer, Date.now() - started];
}

const signInTokenCalls = () =>
  h.federation
    .exchanges()
    .slice(from.federation)
    .filter((x) => x.operation === 'getSigninToken');

/** The failed sign-in: 503 without credentials or URL, its session audited, and logged by id. */
async function expectAuditedButWithheld(answer: Answer, elapsed: number, retryAfter?: number) {
  expect(answer.status, answer.raw).toBe(503);
  expect(answer.body.error.code).toBe('upstream_unavailable');
  expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  if (retryAfter !== undefined) expect(answer.headers['retry-after']).toBe(String(retryAfter));
  expect(answer.raw).not.toMatch(/ASIA[A-Z0-9]{16}|SigninToken=|Action=/);
  expect(elapsed).toBeLessThan(VEND_BUDGET_MS);

  // STS issued exactly one session, and it is audited: hallpass did its part before asking AWS.
  const minted = h.sts.issuedAccessKeyIds().slice(from.issued);
  expect(minted).toHaveLength(1);
  const failed = logLines(h, from.logs).find((l) => l.event === 'console.signin_failed');
  expect(failed, 'a console.signin_failed line').toMatchObject({
    accessKeyId: minted[0],
    sessionId: expect.any(String),
    error: 'UpstreamUnavailableError',
  });
  const records = (await scanTable(dynamodb(), h.tables.audit)).filter(
    (item) => item.kind === 'session' && item.accessKeyId === minted[0],
  );
  expect(records).toHaveLength(1);
  expect(records[0]?.sessionId).toBe(failed?.sessionId);
  const line = logLines(h, from.logs).find(
    (l) => l.event === 'http.error' && l.requestId === answer.body.error.requestId,
  );
  expect(line?.message).toMatch(/^federation endpoint: /);
  return { accessKeyId: minted[0] as string, sessionId: String(failed?.sessionId) };
}

describe('a control: the federation endpoint works', () => {
  it('the sign-in is handed out, its session audited, its SigninToken held secret by the invariants', async () => {
    const [answer] = await signIn({ entitlementId: 'sandbox-readonly' });
    expect(answer.status, answer.raw).toBe(200);
    expect(answer.body).not.toHaveProperty('credentials');
    const signInToken = new URL(answer.body.url).searchParams.get('SigninToken') ?? '';
    expect(h.ledger.signIns.at(-1)).toEqual({
      sessionId: answer.body.session.id,
      accessKeyId: answer.body.session.accessKeyId,
    });
    expect(h.ledger.secrets.has(signInToken)).toBe(true);
    expect(signInTokenCalls()).toHaveLength(1);
  });

  it('a web-identity sign-in: the token hallpass signed for STS is held secret like a bearer token', async () => {
    const [answer] = await signIn({ entitlementId: 'sandbox-poweruser' });
    expect(answer.status, answer.raw).toBe(200);
    const request = h.stsProxy
      .exchanges()
      .slice(from.sts)
      .find((x) => x.operation === 'AssumeRoleWithWebIdentity');
    const webIdentityToken = new URLSearchParams(request?.body ?? '').get('WebIdentityToken') ?? '';
    expect(webIdentityToken.split('.')).toHaveLength(3);
    await h.invariants();
    expect(h.ledger.secrets.has(webIdentityToken)).toBe(true);
  });
});

describe('the invariant checker on sign-ins (it is not vacuous)', () => {
  const check = (ledger: Ledger) =>
    checkInvariants({
      client: dynamodb(),
      auditTable: h.tables.audit,
      requestsTable: h.tables.requests,
      issued: h.sts.issuedAccessKeyIds(),
      ledger,
    });
  const answerOf = (body: Record<string, unknown>) => JSON.stringify(body);

  it('catches a sign-in whose session has no audit record, one that carried credentials, and a logged SigninToken', async () => {
    const [real] = await signIn({ entitlementId: 'sandbox-readonly' });
    expect(real.status).toBe(200);
    const ledger = new Ledger();
    // A sign-in for a key STS never issued and no record names; the real one handed out a second
    // time, with credentials; and a sign-in URL in a log line.
    const url = `${h.federationUrl}?Action=login&SigninToken=${'t'.repeat(40)}`;
    ledger.observe(
      200,
      answerOf({
        url,
        expiresAt: 'x',
        session: { id: 'nosuchsession000', accessKeyId: 'ASIANOTISSUED000000' },
      }),
    );
    ledger.observe(
      200,
      answerOf({
        url: real.body.url,
        expiresAt: real.body.expiresAt,
        session: real.body.session,
        credentials: { accessKeyId: real.body.session.accessKeyId, secretAccessKey: 's'.repeat(40) },
      }),
    );
    ledger.logs.push(`{"event":"oops","url":"${url}"}`);
    const { violations } = await check(ledger);
    expect(violations).toEqual(
      expect.arrayContaining([
        'ASIANOTISSUED000000 was handed to a caller but the local STS never issued it',
        'ASIANOTISSUED000000 was handed to a caller without exactly one audit record (session#ASIANOTISSUED000000)',
        `${real.body.session.accessKeyId} was handed to callers 2 times`,
        `the console sign-in answer of session ${real.body.session.id} carried credentials`,
        'a secret (40 characters) appears in a log line',
      ]),
    );
  });

  it('catches a sign-in that names another session than its audit record', async () => {
    const [real] = await signIn({ entitlementId: 'sandbox-readonly' });
    const ledger = new Ledger();
    ledger.observe(
      200,
      answerOf({ ...real.body, session: { ...real.body.session, id: 'anothersession00' } }),
    );
    const { violations } = await check(ledger);
    expect(violations).toEqual([
      `a sign-in URL names session anothersession00 but the audit record of ${real.body.session.accessKeyId} is session ${real.body.session.id}`,
    ]);
  });
});

const redirectElsewhere = (): FaultAction => ({
  kind: 'respond',
  status: 302,
  headers: { Location: `${h.federation.url}/elsewhere` },
  body: '',
});

describe('the federation endpoint fails after the session was issued and audited', () => {
  it.each<[string, () => FaultAction, number | undefined]>([
    ['answers HTTP 500', () => ({ kind: 'respond', status: 500, body: 'Internal error' }), 2],
    [
      'answers HTTP 503 asking for Retry-After 7',
      () => ({ kind: 'respond', status: 503, headers: { 'Retry-After': '7' }, body: 'busy' }),
      7,
    ],
    ['refuses the credentials (HTTP 400)', () => ({ kind: 'respond', status: 400, body: 'Invalid' }), 30],
    ['answers HTML', () => ({ kind: 'respond', status: 200, body: '<html>sign in</html>' }), 2],
    [
      'answers JSON without a SigninToken',
      () => ({
        kind: 'respond',
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: '{"SigninToken":""}',
      }),
      2,
    ],
    ['resets the connection', () => ({ kind: 'reset' }), 2],
    ['redirects elsewhere (never followed)', redirectElsewhere, 2],
  ])('it %s: 503, the session audited, its credentials withheld', async (_name, action, retryAfter) => {
    h.federation.setFaults([{ operation: 'getSigninToken', action: action() }]);
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-readonly' });
    await expectAuditedButWithheld(answer, elapsed, retryAfter);
    // Asked once (no retry of a request that carries the secret key), and nothing else was fetched.
    expect(signInTokenCalls()).toHaveLength(1);
    expect(h.federation.exchanges().slice(from.federation)).toHaveLength(1);
  });

  it('it issued a SigninToken but the answer was lost: 503, and that token is held secret too', async () => {
    h.federation.setFaults([{ operation: 'getSigninToken', action: { kind: 'reset', when: 'after' } }]);
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-poweruser' });
    await expectAuditedButWithheld(answer, elapsed);
    const issued = signInTokenCalls()[0]?.upstreamBody ?? '';
    expect(issued).toContain('SigninToken');
    // The harness adds every token the endpoint issued to the secrets when the invariants run.
    await h.invariants();
    expect(h.ledger.secrets.has(JSON.parse(issued).SigninToken)).toBe(true);
  });

  it('it does not answer: 503 after the 5 s timeout, inside the budget', async () => {
    h.federation.setFaults([{ operation: 'getSigninToken', action: { kind: 'hang' } }]);
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-readonly' });
    await expectAuditedButWithheld(answer, elapsed, 2);
    expect(elapsed).toBeGreaterThanOrEqual(5000);
  }, 20_000);

  it('nothing listens on its port: 503 quickly', async () => {
    await h.coldStart({ HALLPASS_FEDERATION_URL: 'http://127.0.0.1:9/federation' });
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-poweruser' });
    await expectAuditedButWithheld(answer, elapsed, 2);
    expect(elapsed).toBeLessThan(5000);
    expect(signInTokenCalls()).toHaveLength(0);
  });

  it('with an approved request: the use is consumed by the audited session, not recorded as unissued', async () => {
    const created = await h.call('requests-create', {
      ...routeCall('requests-create'),
      token: await token('alice'),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    const approved = await h.call('requests-approve', {
      ...routeCall('requests-approve', id),
      token: await token('bob', ['approvers']),
    });
    expect(approved.status).toBe(200);
    h.federation.setFaults([
      { operation: 'getSigninToken', action: { kind: 'respond', status: 500, body: 'Internal error' } },
    ]);
    const [answer, elapsed] = await signIn({ entitlementId: 'prod-admin', requestId: id });
    const { sessionId } = await expectAuditedButWithheld(answer, elapsed);
    const request = (await scanTable(dynamodb(), h.tables.requests)).find((item) => item.id === id);
    expect(request).toMatchObject({ usesRemaining: 0, unissued: [], consumptions: [{ sessionId }] });
  });
});
