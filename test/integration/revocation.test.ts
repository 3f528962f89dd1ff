/**
 * Revocation of live sessions (POST /v1/sessions/{id}/revoke, POST /v1/revocations) end to end: the
 * handlers, the revoker role assumed through the local STS, the deny policy written through the local
 * IAM with the real SDK, and the local STS refusing a revoked session's AssumeRole while another
 * session of the same role keeps working. GetCallerIdentity is never the proof: AWS never denies it.
 * The follow-up check runs too: a canary of the role, made as the account's revoker, probes the
 * account's probe role until the deny refuses it (local/sts-roles.yaml has both trusts).
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { putSession } from '../../lib/adapters/audit-table.ts';
import {
  addSessions,
  parsePolicy,
  policySize,
  REVOCATION_POLICY_BUDGET,
  REVOCATION_POLICY_NAME,
  renderPolicy,
} from '../../lib/core/revocation.ts';
import { SELF_REVOCATIONS_PER_HOUR } from '../../lib/core/revocation-limit.ts';
import type { Session } from '../../lib/core/session.ts';
import { startLocalIam } from '../../local/iam/server.ts';
import { DEFAULT_ROLES_FILE, loadConfig } from '../../local/sts/config.ts';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import { type Answer, invoke } from '../support/api.ts';
import { allItems, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let vend: Handler;
let revokeOne: Handler;
let revokeMany: Handler;
let getSession: Handler;
let sts: LocalSts;
const output: string[] = [];

const SANDBOX = 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly';
const TEAM = 'arn:aws:iam::333333333333:role/hallpass-team-data';
const VEND_ROLE = 'arn:aws:iam::000000000000:role/hallpass-local-vend';

beforeAll(async () => {
  const base = await loadConfig(DEFAULT_ROLES_FILE, { HALLPASS_URL: 'http://127.0.0.1:1' });
  sts = await startLocalSts({
    config: {
      callers: base.callers,
      roles: [
        ...base.roles,
        { arn: TEAM, trustedPrincipals: [VEND_ROLE], externalId: 'hallpass-test-external-id' },
        { arn: 'arn:aws:iam::333333333333:role/team-chained', trustedPrincipals: [TEAM] },
      ],
    },
  });
  const iam = await startLocalIam({ sts });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
  process.env.AWS_ENDPOINT_URL_IAM = iam.url;
  afterAll(async () => {
    await iam.close();
    await sts.close();
  });
  await useIsolatedTables();
  for (const method of ['log', 'error', 'warn'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      output.push(args.map(String).join(' '));
    });
  }
  vend = (await import('../../functions/credentials.ts')).handler as unknown as Handler;
  revokeOne = (await import('../../functions/sessions-revoke.ts')).handler as unknown as Handler;
  revokeMany = (await import('../../functions/revocations.ts')).handler as unknown as Handler;
  getSession = (await import('../../functions/sessions-get.ts')).handler as unknown as Handler;
});

interface Vended {
  session: Session;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

async function vendAs(sub: string, entitlementId = 'sandbox-readonly', claims = {}): Promise<Vended> {
  const token = await tokenFor(sub, { groups: ['engineers'], claims });
  const answer = await invoke(vend, { path: '/v1/credentials', token, body: { entitlementId } });
  expect(answer.status).toBe(200);
  return answer.body as Vended;
}

async function revoke(sub: string, groups: string[], id: string, reason = 'laptop stolen'): Promise<Answer> {
  const token = await tokenFor(sub, { groups });
  return invoke(revokeOne, {
    path: `/v1/sessions/${id}/revoke`,
    token,
    pathParameters: { id },
    body: { reason },
  });
}

async function revokeAll(sub: string, groups: string[], body: Record<string, string>): Promise<Answer> {
  return invoke(revokeMany, { path: '/v1/revocations', token: await tokenFor(sub, { groups }), body });
}

/** Whether the session's credentials may still chain into `target` (AccessDenied: denied). */
async function canChain(
  v: Vended,
  target = 'arn:aws:iam::111111111111:role/sandbox-chained',
): Promise<boolean> {
  const { accessKeyId, secretAccessKey, sessionToken } = v.credentials;
  const credentials = { accessKeyId, secretAccessKey, sessionToken };
  const client = new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials });
  try {
    await client.send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'chained' }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'AccessDenied') return false;
    throw error;
  } finally {
    client.destroy();
  }
}

const policyOf = (roleArn: string) => parsePolicy(sts.policies.get(roleArn, REVOCATION_POLICY_NAME));
const revokedIds = (roleArn: string) => [...policyOf(roleArn).sessions.values()].flatMap((ids) => [...ids]);

describe('POST /v1/sessions/{id}/revoke', () => {
  let first: Vended;
  let second: Vended;
  let answer: Answer;
  beforeAll(async () => {
    first = await vendAs('alice');
    second = await vendAs('alice');
    expect(await canChain(first)).toBe(true);
    answer = await revoke('alice', ['engineers'], first.session.id, "I'm done");
  });

  it('answers 200 with the revoked session, the role and its scope, and the deny observed', () => {
    expect(answer.status).toBe(200);
    expect(answer.body.revoked).toHaveLength(1);
    expect(answer.body.revoked[0]).toMatchObject({
      id: first.session.id,
      revocation: { by: { sub: 'alice' }, reason: "I'm done" },
    });
    expect(answer.body.roles).toEqual([
      {
        roleArn: SANDBOX,
        scope: 'session',
        roleWideFallback: false,
        propagation: { status: 'observed', observedAt: expect.any(String), reason: null },
      },
    ]);
    expect(answer.body.propagation).toBe('observed');
  });

  it('observes the deny with a canary of the role in the same policy, and records when', async () => {
    const events = (await allItems('audit')).filter(
      (item) =>
        item.event === 'session.revocation-observed' &&
        (item.details as { sessionId: string }).sessionId === first.session.id,
    );
    expect(events).toHaveLength(1);
    const details = events[0]?.details as Record<string, string>;
    expect(details).toMatchObject({
      roleArn: SANDBOX,
      propagation: 'observed',
      observedAt: answer.body.roles[0].propagation.observedAt,
      reason: null,
    });
    // The canary is a session of the same role, tagged as a canary, whose id the same document denies.
    expect(revokedIds(SANDBOX)).toContain(details.canarySessionId);
    const canaries = sts
      .issuedAccessKeyIds()
      .map((id) => sts.session(id))
      .filter((session) => session?.tags['hallpass:session-id'] === details.canarySessionId);
    expect(canaries).toHaveLength(1);
    expect(canaries[0]).toMatchObject({
      roleArn: SANDBOX,
      tags: { 'hallpass:principal': 'hallpass:revocation-canary' },
      chained: true,
    });
    expect(canaries[0]?.sourceIdentity).toBeUndefined();
  });

  it("denies the revoked session's AssumeRole into another role, and not the other session of the same role", async () => {
    expect(await canChain(first)).toBe(false);
    expect(await canChain(second)).toBe(true);
  });

  it('leaves GetCallerIdentity alone, as AWS does (which is why it proves nothing)', async () => {
    const { accessKeyId, secretAccessKey, sessionToken } = first.credentials;
    const credentials = { accessKeyId, secretAccessKey, sessionToken };
    const client = new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials });
    await expect(client.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
      Account: '111111111111',
    });
    client.destroy();
  });

  it('writes the session id to the role policy by its hallpass:session-id tag', () => {
    expect(revokedIds(SANDBOX)).toContain(first.session.id);
    expect(revokedIds(SANDBOX)).not.toContain(second.session.id);
  });

  it('shows the revocation on the session', async () => {
    const token = await tokenFor('alice', { groups: ['engineers'] });
    const read = await invoke(getSession, {
      path: `/v1/sessions/${first.session.id}`,
      token,
      pathParameters: { id: first.session.id },
    });
    expect(read.body.revocation).toMatchObject({ by: { sub: 'alice', name: 'alice' }, reason: "I'm done" });
  });

  it('appends one session.revoked event', async () => {
    const events = (await allItems('audit')).filter(
      (item) =>
        item.event === 'session.revoked' &&
        (item.details as { sessionId: string }).sessionId === first.session.id,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'event',
      principalSub: 'alice',
      entitlementId: 'sandbox-readonly',
    });
  });

  it('is 409 the second time', async () => {
    expect((await revoke('alice', ['engineers'], first.session.id)).status).toBe(409);
  });

  it('is 404 for someone who is neither an auditor nor the owner, and changes nothing', async () => {
    const refused = await revoke('mallory', ['engineers'], second.session.id);
    expect(refused.status).toBe(404);
    expect(await canChain(second)).toBe(true);
  });

  it('lets an auditor revoke anyone', async () => {
    const byAuditor = await revoke('audrey', ['auditors'], second.session.id, 'incident INC-7');
    expect(byAuditor.status).toBe(200);
    expect(await canChain(second)).toBe(false);
  });

  it('is 409 for an expired session', async () => {
    const expired = {
      ...first.session,
      id: 'expiredsession01',
      accessKeyId: 'ASIAEXPIRED000000001',
      issuedAt: '2020-01-01T00:00:00Z',
      expiresAt: '2020-01-01T01:00:00Z',
    };
    const { audit } = (await import('../../lib/deps.ts')).containerDeps();
    await putSession({ ...audit, retentionDays: 36500 }, expired);
    expect((await revoke('alice', ['engineers'], expired.id)).status).toBe(409);
  });

  it("logs nothing of the revoked session's secrets", () => {
    const text = output.join('\n');
    for (const v of [first, second]) {
      expect(text).not.toContain(v.credentials.secretAccessKey);
      expect(text).not.toContain(v.credentials.sessionToken);
    }
    expect(text).toContain('session.revoked');
  });
});

describe('POST /v1/revocations {principal}', () => {
  it("denies every live session of the person, and not another person's on the same role", async () => {
    const a = await vendAs('carol');
    const b = await vendAs('carol');
    const other = await vendAs('dave');
    const answer = await revokeAll('audrey', ['auditors'], { principal: 'carol', reason: 'offboarded' });
    expect(answer.status).toBe(200);
    expect(answer.body.revoked.map((s: Session) => s.id).sort()).toEqual([a.session.id, b.session.id].sort());
    expect(answer.body.roles).toMatchObject([
      { roleArn: SANDBOX, scope: 'principal', roleWideFallback: false, propagation: { status: 'observed' } },
    ]);
    expect(await canChain(a)).toBe(false);
    expect(await canChain(b)).toBe(false);
    expect(await canChain(other)).toBe(true);
    expect(policyOf(SANDBOX).principals.get('carol')).toBeDefined();
  });

  it('lets a session issued after the revocation work', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await canChain(await vendAs('carol'))).toBe(true);
  });

  it("is 403 for a non-auditor naming someone else, and allowed on one's own sessions", async () => {
    await vendAs('erin');
    expect((await revokeAll('mallory', ['engineers'], { principal: 'erin', reason: 'x' })).status).toBe(403);
    expect(
      (await revokeAll('erin', ['engineers'], { principal: 'erin', reason: 'done for today' })).status,
    ).toBe(200);
    expect((await revokeAll('erin', ['engineers'], { principal: 'erin', reason: 'again' })).status).toBe(409);
  });

  it('is 400 with both or neither of principal and entitlementId', async () => {
    const both = { principal: 'erin', entitlementId: 'sandbox-readonly', reason: 'x' };
    expect((await revokeAll('audrey', ['auditors'], both)).status).toBe(400);
    expect((await revokeAll('audrey', ['auditors'], { reason: 'x' })).status).toBe(400);
  });
});

describe('POST /v1/revocations {entitlementId}', () => {
  it('denies a role that serves the entitlement alone by issue time, and says so', async () => {
    const claims = { team: 'data' };
    const v = await vendAs('frank', 'team-data', claims);
    expect(await canChain(v, 'arn:aws:iam::333333333333:role/team-chained')).toBe(true);
    const answer = await revokeAll('audrey', ['auditors'], {
      entitlementId: 'team-data',
      reason: 'key leaked',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.roles).toEqual([
      {
        roleArn: TEAM,
        scope: 'entitlement',
        roleWideFallback: false,
        // This test's team role trusts no revoker for canaries (an account on an older template).
        propagation: {
          status: 'unverified',
          observedAt: null,
          reason: expect.stringMatching(/does not trust the revoker for canaries/),
        },
      },
    ]);
    expect(answer.body.propagation).toBe('unverified');
    expect(policyOf(TEAM).role).not.toBeNull();
    expect(await canChain(v, 'arn:aws:iam::333333333333:role/team-chained')).toBe(false);
  });

  it('denies by session id on a role other entitlements share', async () => {
    const v = await vendAs('gina');
    const answer = await revokeAll('audrey', ['auditors'], {
      entitlementId: 'sandbox-readonly',
      reason: 'bad deploy',
    });
    expect(answer.status).toBe(200);
    expect(policyOf(SANDBOX).role).toBeNull();
    expect(revokedIds(SANDBOX)).toContain(v.session.id);
    expect(await canChain(v)).toBe(false);
  });

  it('is 403 for a non-auditor and 404 for an unknown entitlement', async () => {
    expect(
      (await revokeAll('gina', ['engineers'], { entitlementId: 'sandbox-readonly', reason: 'x' })).status,
    ).toBe(403);
    expect((await revokeAll('audrey', ['auditors'], { entitlementId: 'nope', reason: 'x' })).status).toBe(
      404,
    );
  });
});

describe('concurrent revocations on one role', () => {
  it('keep every entry', async () => {
    const sessions = await Promise.all(Array.from({ length: 8 }, () => vendAs('henry')));
    const answers = await Promise.all(sessions.map((v) => revoke('henry', ['engineers'], v.session.id)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    for (const v of sessions) expect(revokedIds(SANDBOX)).toContain(v.session.id);
    for (const v of sessions) expect(await canChain(v)).toBe(false);
  });
});

describe('the follow-up check, while IAM has not applied the deny yet', () => {
  it('answers pending when the canary is not refused by the end of the wait, and records it', async () => {
    const { revokeDeps } = await import('../../lib/deps.ts');
    const { revokeSession } = await import('../../lib/use-cases/revoke-sessions.ts');
    const v = await vendAs('kate');
    const owner = { sub: 'kate', name: 'kate', groups: ['engineers'], claims: {} };
    sts.policies.holdPropagation();
    try {
      const answer = await revokeSession({ ...revokeDeps(), propagationWaitMs: 1200 }, owner, v.session.id, {
        reason: 'done',
      });
      expect(answer.propagation).toBe('pending');
      expect(answer.roles[0]?.propagation).toEqual({
        status: 'pending',
        observedAt: null,
        reason: expect.stringMatching(/not yet denied/),
      });
      // Written (IAM answers it) but not applied: the session still works, as on AWS for a few seconds.
      expect(revokedIds(SANDBOX)).toContain(v.session.id);
      expect(await canChain(v)).toBe(true);
      const events = (await allItems('audit')).filter(
        (item) =>
          item.event === 'session.revocation-observed' &&
          (item.details as { sessionId: string }).sessionId === v.session.id,
      );
      expect(events.map((e) => (e.details as { propagation: string }).propagation)).toEqual(['pending']);
    } finally {
      sts.policies.releasePropagation();
    }
    expect(await canChain(v)).toBe(false);
  });
});

describe('the follow-up check, when IAM applies the deny while it probes', () => {
  it('retries until the canary is refused, then answers observed', async () => {
    const { revokeDeps } = await import('../../lib/deps.ts');
    const { revokeSession } = await import('../../lib/use-cases/revoke-sessions.ts');
    const v = await vendAs('mona');
    const owner = { sub: 'mona', name: 'mona', groups: ['engineers'], claims: {} };
    const probe = 'arn:aws:iam::111111111111:role/hallpass-local-revoker-probe';
    const probesBefore = sts.issuedAccessKeyIds().filter((id) => sts.session(id)?.roleArn === probe).length;
    sts.policies.holdPropagation();
    let sleeps = 0;
    // IAM "applies" the deny during the second wait between probes.
    const sleep = async () => {
      if (++sleeps === 2) sts.policies.releasePropagation();
    };
    try {
      const answer = await revokeSession({ ...revokeDeps(), sleep }, owner, v.session.id, { reason: 'done' });
      expect(answer.propagation).toBe('observed');
      expect(answer.roles[0]?.propagation.status).toBe('observed');
    } finally {
      sts.policies.releasePropagation();
    }
    expect(sleeps).toBe(2);
    // The baseline before the write, and the two probes the deny did not refuse yet.
    const probes = sts.issuedAccessKeyIds().filter((id) => sts.session(id)?.roleArn === probe).length;
    expect(probes - probesBefore).toBe(3);
    expect(await canChain(v)).toBe(false);
  });
});

describe('the follow-up check, when the probe refuses the canary before the deny is written', () => {
  it('revokes all the same, and says unverified and why', async () => {
    const v = await vendAs('liam');
    // As in an account whose probe role is missing: here, an operator's deny of canaries' AssumeRole.
    const denyCanaries = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: 'sts:AssumeRole',
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:PrincipalTag/hallpass:principal': 'hallpass:revocation-canary' },
          },
        },
      ],
    });
    sts.policies.put(SANDBOX, 'operator-deny', denyCanaries);
    try {
      const answer = await revoke('liam', ['engineers'], v.session.id, 'done');
      expect(answer.status).toBe(200);
      expect(answer.body.propagation).toBe('unverified');
      expect(answer.body.roles[0].propagation).toEqual({
        status: 'unverified',
        observedAt: null,
        reason: expect.stringMatching(/probe role refused the canary before the deny was written/),
      });
      expect(await canChain(v)).toBe(false);
    } finally {
      sts.policies.put(SANDBOX, 'operator-deny', JSON.stringify({ Version: '2012-10-17', Statement: [] }));
    }
  });
});

describe('pruning', () => {
  it('keeps the policy under the limit through hundreds of revocations, without folding', async () => {
    const { containerDeps, revokeDeps } = await import('../../lib/deps.ts');
    const { revokeSession } = await import('../../lib/use-cases/revoke-sessions.ts');
    const role = 'arn:aws:iam::222222222222:role/hallpass-prod-admin';
    const t0 = Date.parse('2030-01-01T00:00:00Z');
    let clock = t0;
    // No canary: the clock is years ahead of the local STS's, and pruning is what is under test.
    const deps = { ...revokeDeps(), canaries: undefined, now: () => new Date(clock) };
    const auditor = { sub: 'audrey', name: 'audrey', groups: ['auditors'], claims: {} };
    const { audit } = containerDeps();
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    let largest = 0;
    const template = (await vendAs('ivan')).session;
    for (let i = 0; i < 200; i++) {
      const issued = t0 + i * 60_000;
      const id = `prune${String(i).padStart(11, '0')}`;
      const session: Session = {
        ...template,
        id,
        roleArn: role,
        entitlementId: 'prod-admin',
        accessKeyId: `ASIAPRUNE${String(i).padStart(11, '0')}`,
        issuedAt: iso(issued),
        expiresAt: iso(issued + 3_600_000),
      };
      await putSession({ ...audit, retentionDays: 36500 }, session);
      clock = issued + 10_000;
      const answer = await revokeSession(deps, auditor, id, { reason: 'rotation drill' });
      expect(answer.roles[0]?.roleWideFallback).toBe(false);
      largest = Math.max(largest, policySize(sts.policies.get(role, REVOCATION_POLICY_NAME) ?? ''));
    }
    expect(largest).toBeLessThanOrEqual(REVOCATION_POLICY_BUDGET);
    const kept = [...policyOf(role).sessions.values()].flatMap((ids) => [...ids]);
    // Only sessions that may still be live (expiring within the last two hour buckets) remain.
    expect(kept.length).toBeLessThan(130);
    expect(kept).toContain('prune00000000199');
    expect(kept).not.toContain('prune00000000000');
  }, 120_000);
});

describe("a person's own revocations (issue 14: self-revocation must not deny everyone)", () => {
  it(`is 429 past ${SELF_REVOCATIONS_PER_HOUR} of their own sessions in an hour, with Retry-After, and changes nothing`, async () => {
    const sessions = await Promise.all(
      Array.from({ length: SELF_REVOCATIONS_PER_HOUR + 1 }, () => vendAs('ursula')),
    );
    for (const v of sessions.slice(0, SELF_REVOCATIONS_PER_HOUR))
      expect((await revoke('ursula', ['engineers'], v.session.id, 'done')).status).toBe(200);
    const last = sessions[SELF_REVOCATIONS_PER_HOUR] as Vended;
    const refused = await revoke('ursula', ['engineers'], last.session.id, 'done');
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('too_many_requests');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(revokedIds(SANDBOX)).not.toContain(last.session.id);
    expect(await canChain(last)).toBe(true);
    // An auditor is not limited.
    expect((await revoke('audrey', ['auditors'], last.session.id, 'incident')).status).toBe(200);
  });

  // Last in this file: the auditor's revocation ends in a role-wide deny of the sandbox role.
  describe('when the role deny policy is full', () => {
    let owner: Vended;
    let bystander: Vended;
    let before: string | undefined;
    let refused: Answer;
    beforeAll(async () => {
      owner = await vendAs('yusuf');
      bystander = await vendAs('zoe');
      // Hundreds of live entries, more than the budget: as if people had revoked and re-vended in a loop.
      const state = policyOf(SANDBOX);
      addSessions(
        state,
        Array.from({ length: 450 }, (_, i) => ({
          id: `fill${String(i).padStart(12, '0')}`,
          expiresAt: new Date(Date.now() + 1_800_000).toISOString(),
        })),
      );
      before = renderPolicy(state);
      sts.policies.put(SANDBOX, REVOCATION_POLICY_NAME, before);
      refused = await revoke('yusuf', ['engineers'], owner.session.id, "I'm done");
    });

    it("refuses the owner's revocation with 409 revocation_policy_full, and changes nothing", async () => {
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('revocation_policy_full');
      expect(sts.policies.get(SANDBOX, REVOCATION_POLICY_NAME)).toBe(before);
      expect(policyOf(SANDBOX).role).toBeNull();
      expect(await canChain(owner)).toBe(true);
      expect(await canChain(bystander)).toBe(true);
      const token = await tokenFor('yusuf', { groups: ['engineers'] });
      const read = await invoke(getSession, {
        path: `/v1/sessions/${owner.session.id}`,
        token,
        pathParameters: { id: owner.session.id },
      });
      expect(read.body.revocation ?? null).toBeNull();
    });

    it('says so in the audit trail and the log, so an auditor can act', async () => {
      const events = (await allItems('audit')).filter((item) => item.event === 'session.revocation-refused');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        principalSub: 'yusuf',
        actor: { sub: 'yusuf' },
        details: { sessionId: owner.session.id, roleArn: SANDBOX, refused: 'revocation_policy_full' },
      });
      expect(output.join('\n')).toContain('session.revocation-refused');
    });

    it('refuses the owner revoking all their sessions the same way', async () => {
      const answer = await revokeAll('yusuf', ['engineers'], { principal: 'yusuf', reason: 'done' });
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('revocation_policy_full');
      expect(sts.policies.get(SANDBOX, REVOCATION_POLICY_NAME)).toBe(before);
    });

    it("lets an auditor's revocation fall back to the role-wide deny, which denies every earlier session of the role", async () => {
      const answer = await revoke('audrey', ['auditors'], owner.session.id, 'incident INC-9');
      expect(answer.status).toBe(200);
      expect(answer.body.roles[0]).toMatchObject({ roleArn: SANDBOX, roleWideFallback: true });
      expect(policyOf(SANDBOX).role).not.toBeNull();
      expect(await canChain(owner)).toBe(false);
      expect(await canChain(bystander)).toBe(false);
    });
  });
});
