/**
 * STS faults injected for real: the local STS's fault mode (Throttling, AccessDenied as from a trust
 * policy, RegionDisabledException, slow answers) and, for what it cannot produce, the fault proxy in
 * front of it answering in STS's own XML error shape (ExpiredToken, catalog problems, 500s) or
 * resetting connections; also STS unreachable. For each: the documented status (503 with
 * Retry-After, or 400 for a catalog problem), bounded retries inside the 15 s budget, nothing issued
 * without an audit record, a consumed use recorded as unissued, and a log line naming the STS error
 * without a secret. POST /v1/console meets the same faults with the same outcomes, and never asks the
 * federation endpoint for a session STS did not issue; web-identity issuance
 * (AssumeRoleWithWebIdentity) is retried and refused as AssumeRole is. The invariant checker runs
 * after every test.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stsError } from '../../local/fault-proxy.ts';
import { scanTable } from '../../local/invariants.ts';
import type { Answer } from '../support/api.ts';
import { expectInvariants, type Harness, logLines, routeCall, startHarness } from '../support/hardening.ts';
import { dynamodb } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

const VEND_BUDGET_MS = 15_000;
let h: Harness;
let from: { sts: number; logs: number; issued: number; federation: number };
const faults = { injected: 0 };

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => {
  process.stderr.write(`sts faults: ${faults.injected} injected\n`);
});
beforeEach(async () => {
  await h.coldStart();
  from = {
    sts: h.stsProxy.exchanges().length,
    logs: h.ledger.logs.length,
    issued: h.sts.issuedAccessKeyIds().length,
    federation: h.federation.exchanges().length,
  };
});
afterEach(async () => {
  faults.injected += h.stsProxy
    .exchanges()
    .slice(from.sts)
    .filter((x) => x.fault || (x.upstreamStatus ?? 200) >= 400).length;
  h.sts.setFault(null);
  h.stsProxy.setFaults([]);
  await expectInvariants(h);
});

const token = (sub: string, groups: string[]) => tokenFor(sub, { groups, name: `${sub} name` });

async function vend(body: Record<string, unknown>, sub = 'alice'): Promise<[Answer, number]> {
  const t = await token(sub, ['engineers']);
  const started = Date.now();
  const answer = await h.call('credentials', { path: '/v1/credentials', token: t, body });
  return [answer, Date.now() - started];
}
async function signIn(body: Record<string, unknown>, sub = 'alice'): Promise<[Answer, number]> {
  const t = await token(sub, ['engineers']);
  const started = Date.now();
  const answer = await h.call('console', { ...routeCall('console'), token: t, body });
  return [answer, Date.now() - started];
}
const callsOf = (operation: string) =>
  h.stsProxy
    .exchanges()
    .slice(from.sts)
    .filter((x) => x.operation === operation);
const assumeRoleCalls = () => callsOf('AssumeRole');
const federationCalls = () => h.federation.exchanges().slice(from.federation);

function expect503(answer: Answer, elapsed: number, retryAfter?: number) {
  expect(answer.status, answer.raw).toBe(503);
  expect(answer.body.error.code).toBe('upstream_unavailable');
  expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  if (retryAfter !== undefined) expect(answer.headers['retry-after']).toBe(String(retryAfter));
  expect(answer.body.credentials).toBeUndefined();
  expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
}

function errorLine(answer: Answer) {
  return logLines(h, from.logs).find(
    (l) => l.event === 'http.error' && l.requestId === answer.body.error.requestId,
  );
}

describe("the local STS's fault mode", () => {
  it('Throttling on every call: 3 attempts with backoff, 503 Retry-After, nothing issued or written', async () => {
    h.sts.setFault({ action: 'AssumeRole', code: 'Throttling' });
    const before = await h.snapshot();
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect503(answer, elapsed, 2);
    expect(assumeRoleCalls()).toHaveLength(3);
    expect(h.sts.issuedAccessKeyIds()).toHaveLength(from.issued);
    expect(await h.snapshot()).toBe(before);
    expect(errorLine(answer)).toMatchObject({
      error: 'UpstreamUnavailableError',
      message: 'STS is unavailable (Throttling)',
    });
  });

  it('Throttling twice, then issued: the retry succeeds inside the budget', async () => {
    h.sts.setFault({ action: 'AssumeRole', code: 'Throttling', times: 2 });
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect(answer.status).toBe(200);
    expect(assumeRoleCalls()).toHaveLength(3);
    expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
  });

  it('AccessDenied (the trust policy): a configuration error, not retried, not a 503; the role and the fix named', async () => {
    h.sts.setFault({ action: 'AssumeRole', code: 'AccessDenied' });
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect(answer.status, answer.raw).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(answer.body.credentials).toBeUndefined();
    expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
    expect(assumeRoleCalls()).toHaveLength(1);
    expect(answer.body.error.message).toContain('arn:aws:iam::111111111111:role/hallpass-sandbox-readonly');
    expect(answer.body.error.message).toContain('trust policy does not trust hallpass');
  });

  it('RegionDisabledException: 503, nothing issued', async () => {
    h.sts.setFault({ action: 'AssumeRole', code: 'RegionDisabledException' });
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect503(answer, elapsed);
    expect(h.sts.issuedAccessKeyIds()).toHaveLength(from.issued);
    expect(errorLine(answer)?.message).toMatch(/RegionDisabled/);
  });

  it('a slow STS (2 s): the credentials arrive, audited, inside the budget', async () => {
    h.sts.setFault({ delayMs: 2000 });
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect(answer.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
  });

  it('with an approved request, Throttling throughout: 503, and the consumed use is recorded as unissued', async () => {
    const created = await h.call('requests-create', {
      path: '/v1/requests',
      token: await token('alice', ['engineers']),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    await h.call('requests-approve', {
      method: 'POST',
      path: `/v1/requests/${id}/approve`,
      token: await token('bob', ['approvers']),
      pathParameters: { id },
    });
    h.sts.setFault({ action: 'AssumeRole', code: 'Throttling' });
    const [answer, elapsed] = await vend({ entitlementId: 'prod-admin', requestId: id });
    expect503(answer, elapsed);
    const item = (await scanTable(dynamodb(), h.tables.requests)).find((i) => i.id === id);
    expect(item).toMatchObject({
      usesRemaining: 0,
      unissued: [
        { sessionId: expect.any(String), at: expect.any(String), reason: 'UpstreamUnavailableError' },
      ],
    });
  });
});

describe('STS errors from the fault proxy, in STS XML', () => {
  it.each([
    ['ExpiredToken', 'The security token included in the request is expired', 403, 503, 1],
    ['InternalFailure', 'An internal error occurred', 500, 503, 3],
    ['ServiceUnavailable', 'Service is unavailable', 503, 503, 3],
    ['MalformedPolicyDocument', 'Syntax errors in policy.', 400, 400, 1],
    ['PackedPolicyTooLarge', 'Serialized token too large for session', 400, 400, 1],
  ] as const)(
    '%s (%s, HTTP %i) -> %i after %i attempt(s)',
    async (code, message, status, expected, tries) => {
      h.stsProxy.setFaults([{ operation: 'AssumeRole', action: stsError(code, message, status) }]);
      const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
      expect(answer.status, answer.raw).toBe(expected);
      expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
      expect(assumeRoleCalls()).toHaveLength(tries);
      if (expected === 400) {
        // A catalog problem: the caller's request was fine, the entitlement cannot be issued.
        expect(answer.body.error.code).toBe('invalid_request');
        expect(answer.body.error.message).toMatch(/sandbox-readonly|hallpass-sandbox-readonly/);
      } else {
        expect503(answer, elapsed);
        expect(errorLine(answer)?.message).toContain(code);
      }
    },
  );

  it('connection reset on every call: 503 after 3 attempts', async () => {
    h.stsProxy.setFaults([{ operation: 'AssumeRole', action: { kind: 'reset' } }]);
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect503(answer, elapsed);
    expect(assumeRoleCalls()).toHaveLength(3);
  });

  it('the answer with credentials is lost (reset after STS issued): the retry gets other credentials, and only those are audited', async () => {
    h.stsProxy.setFaults([{ operation: 'AssumeRole', times: 1, action: { kind: 'reset', when: 'after' } }]);
    const [answer] = await vend({ entitlementId: 'sandbox-readonly' });
    expect(answer.status).toBe(200);
    const minted = h.sts.issuedAccessKeyIds().slice(from.issued);
    expect(minted).toHaveLength(2);
    expect(minted[1]).toBe(answer.body.credentials.accessKeyId);
    // The first key exists at STS, was never seen by hallpass, has no record and was never returned:
    // allowed by the invariant (it expires on its own).
  });

  it('STS unreachable (nothing listens): 503 quickly', async () => {
    await h.coldStart({ AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect503(answer, elapsed);
    expect(elapsed).toBeLessThan(5000);
  });
});

describe('POST /v1/console meets the same STS faults, and the federation endpoint is never asked', () => {
  it.each<[string, () => void, number, number, number | undefined]>([
    [
      'Throttling on every call',
      () => h.sts.setFault({ action: 'AssumeRole', code: 'Throttling' }),
      503,
      3,
      2,
    ],
    [
      'AccessDenied (the trust policy: a configuration error)',
      () => h.sts.setFault({ action: 'AssumeRole', code: 'AccessDenied' }),
      400,
      1,
      undefined,
    ],
    [
      'InternalFailure (HTTP 500)',
      () =>
        h.stsProxy.setFaults([
          { operation: 'AssumeRole', action: stsError('InternalFailure', 'An internal error occurred', 500) },
        ]),
      503,
      3,
      undefined,
    ],
    [
      'MalformedPolicyDocument (a catalog problem)',
      () =>
        h.stsProxy.setFaults([
          {
            operation: 'AssumeRole',
            action: stsError('MalformedPolicyDocument', 'Syntax errors in policy.'),
          },
        ]),
      400,
      1,
      undefined,
    ],
    [
      'connection reset on every call',
      () => h.stsProxy.setFaults([{ operation: 'AssumeRole', action: { kind: 'reset' } }]),
      503,
      3,
      undefined,
    ],
  ])(
    '%s: %i after %i attempt(s), nothing issued or written',
    async (_name, arrange, status, tries, retryAfter) => {
      arrange();
      const before = await h.snapshot();
      const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-readonly' });
      expect(answer.status, answer.raw).toBe(status);
      if (status === 503) expect503(answer, elapsed, retryAfter);
      else expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.url).toBeUndefined();
      expect(assumeRoleCalls()).toHaveLength(tries);
      expect(h.sts.issuedAccessKeyIds()).toHaveLength(from.issued);
      expect(await h.snapshot()).toBe(before);
      expect(federationCalls()).toEqual([]);
    },
  );

  it('Throttling twice, then issued: the sign-in URL arrives inside the budget', async () => {
    h.sts.setFault({ action: 'AssumeRole', code: 'Throttling', times: 2 });
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-readonly' });
    expect(answer.status, answer.raw).toBe(200);
    expect(assumeRoleCalls()).toHaveLength(3);
    expect(federationCalls()).toHaveLength(1);
    expect(elapsed).toBeLessThan(VEND_BUDGET_MS);
  });

  it('with an approved request, Throttling throughout: 503, and the consumed use is recorded as unissued', async () => {
    const created = await h.call('requests-create', {
      ...routeCall('requests-create'),
      token: await token('alice', ['engineers']),
      body: { entitlementId: 'prod-admin', justification: 'Deploy the payments hotfix' },
    });
    const id = created.body.id as string;
    await h.call('requests-approve', {
      ...routeCall('requests-approve', id),
      token: await token('bob', ['approvers']),
    });
    h.sts.setFault({ action: 'AssumeRole', code: 'Throttling' });
    const [answer, elapsed] = await signIn({ entitlementId: 'prod-admin', requestId: id });
    expect503(answer, elapsed);
    const item = (await scanTable(dynamodb(), h.tables.requests)).find((i) => i.id === id);
    expect(item).toMatchObject({ usesRemaining: 0, unissued: [{ reason: 'UpstreamUnavailableError' }] });
    expect(federationCalls()).toEqual([]);
  });

  it('STS unreachable: 503 quickly', async () => {
    await h.coldStart({ AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
    const [answer, elapsed] = await signIn({ entitlementId: 'sandbox-poweruser' });
    expect503(answer, elapsed);
    expect(elapsed).toBeLessThan(5000);
    expect(federationCalls()).toEqual([]);
  });
});

describe('web-identity issuance (AssumeRoleWithWebIdentity) meets the same STS faults', () => {
  it.each(['credentials', 'console'] as const)(
    '%s: InternalFailure on every call is 503 after 3 attempts, nothing issued',
    async (route) => {
      h.stsProxy.setFaults([
        {
          operation: 'AssumeRoleWithWebIdentity',
          action: stsError('InternalFailure', 'An internal error occurred', 500),
        },
      ]);
      const body = { entitlementId: 'sandbox-poweruser' };
      const [answer, elapsed] = route === 'credentials' ? await vend(body) : await signIn(body);
      expect503(answer, elapsed);
      expect(callsOf('AssumeRoleWithWebIdentity')).toHaveLength(3);
      expect(h.sts.issuedAccessKeyIds()).toHaveLength(from.issued);
      expect(federationCalls()).toEqual([]);
    },
  );

  it.each(['credentials', 'console'] as const)(
    '%s: a web-identity token whose keys STS could not retrieve (InvalidIdentityToken) is 503, not retried',
    async (route) => {
      h.stsProxy.setFaults([
        {
          operation: 'AssumeRoleWithWebIdentity',
          action: stsError(
            'InvalidIdentityToken',
            "Couldn't retrieve verification key from your identity provider",
          ),
        },
      ]);
      const body = { entitlementId: 'sandbox-poweruser' };
      const [answer, elapsed] = route === 'credentials' ? await vend(body) : await signIn(body);
      expect503(answer, elapsed);
      expect(callsOf('AssumeRoleWithWebIdentity')).toHaveLength(1);
      expect(h.sts.issuedAccessKeyIds()).toHaveLength(from.issued);
    },
  );

  it.each(['credentials', 'console'] as const)(
    '%s: no OIDC provider for hallpass in the account (InvalidIdentityToken) is a configuration error, not retried',
    async (route) => {
      h.stsProxy.setFaults([
        {
          operation: 'AssumeRoleWithWebIdentity',
          action: stsError(
            'InvalidIdentityToken',
            'No OpenIDConnect provider found in your account for http://127.0.0.1',
          ),
        },
      ]);
      const body = { entitlementId: 'sandbox-poweruser' };
      const [answer] = route === 'credentials' ? await vend(body) : await signIn(body);
      expect(answer.status, answer.raw).toBe(400);
      expect(answer.body.error.message).toContain('register hallpass');
      expect(answer.headers['retry-after']).toBeUndefined();
      expect(callsOf('AssumeRoleWithWebIdentity')).toHaveLength(1);
      expect(h.sts.issuedAccessKeyIds()).toHaveLength(from.issued);
    },
  );
});

describe('the time budget', () => {
  it('an STS that does not answer (20 s) gets 503 with Retry-After inside the 15 s budget', async () => {
    h.sts.setFault({ delayMs: 20_000 });
    const [answer, elapsed] = await vend({ entitlementId: 'sandbox-readonly' });
    expect503(answer, elapsed);
  }, 40_000);
});
