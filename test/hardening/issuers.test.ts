/**
 * Several issuers (issue 17): hallpass trusts a primary issuer (people) and a workload issuer named
 * `github` (GitHub Actions-like tokens: `sub` of a repository and ref, no groups, its own audience),
 * each with its own key server whose every request is counted. A token goes to the issuer its `iss`
 * names before any key is fetched; an unknown `iss` fetches nothing; no key of one issuer verifies a
 * token of the other; principals of the workload issuer are `github:<sub>`, so they never meet the
 * primary issuer's. Then every refusal's `access.denied` line: one stable reason and the issuer's
 * name, never the token, while the client gets the same 401 as ever.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectInvariants, type Harness, logLines, startHarness } from '../support/hardening.ts';
import {
  type KeyServer,
  newSigningKey,
  type SigningKey,
  signHs256,
  signJws,
  startKeyServer,
} from '../support/jwt.ts';
import { AUDIENCE } from '../support/stack-info.ts';

const WORKLOAD_AUDIENCE = 'https://github.com/example-org';
const WORKLOAD_SUB = 'repo:org/app:ref:refs/heads/main';

interface Issuer {
  ks: KeyServer;
  key: SigningKey;
  audience: string;
  sub: string;
  groups?: string[];
}

let h: Harness;
let people: Issuer;
let workload: Issuer;

beforeAll(async () => {
  h = await startHarness({ echoLogs: false });
  // The same kid at both issuers: only the issuer chosen by `iss` decides which key verifies.
  const peopleKey = await newSigningKey('key-1');
  const workloadKey = await newSigningKey('key-1');
  people = {
    ks: await startKeyServer([peopleKey.publicJwk]),
    key: peopleKey,
    audience: AUDIENCE,
    sub: 'alice',
    groups: ['engineers'],
  };
  workload = {
    ks: await startKeyServer([workloadKey.publicJwk]),
    key: workloadKey,
    audience: WORKLOAD_AUDIENCE,
    sub: WORKLOAD_SUB,
  };
});

afterAll(async () => {
  await Promise.all([people.ks.close(), workload.ks.close()]);
  await h.restore();
});

afterEach(async () => {
  vi.useRealTimers();
  await expectInvariants(h);
});

const advance = (seconds: number) => {
  const target = Date.now() + seconds * 1000;
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(target);
};

/** A cold start trusting both issuers (and, given, another catalog). */
async function trustBoth(via: 'jwks_uri' | 'discovery' = 'jwks_uri', catalog?: string) {
  await h.coldStart({
    HALLPASS_CATALOG: catalog,
    HALLPASS_ISSUER: people.ks.issuer,
    HALLPASS_JWKS_URI: via === 'jwks_uri' ? people.ks.jwksUri : undefined,
    HALLPASS_ISSUERS: JSON.stringify([
      {
        name: 'github',
        issuer: workload.ks.issuer,
        audience: WORKLOAD_AUDIENCE,
        algorithms: ['RS256'],
        claims: { principal: 'sub', name: ['actor'], groups: 'groups' },
        ...(via === 'jwks_uri' ? { jwksUri: workload.ks.jwksUri } : {}),
      },
    ]),
  });
}

const now = () => Math.floor(Date.now() / 1000);
function claimsOf(issuer: Issuer, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: issuer.ks.issuer,
    aud: issuer.audience,
    sub: issuer.sub,
    ...(issuer.groups ? { groups: issuer.groups } : {}),
    iat: now(),
    exp: now() + 600,
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}
const tokenOf = (issuer: Issuer, overrides: Record<string, unknown> = {}, key = issuer.key) =>
  signJws({ alg: key.alg, kid: key.kid, typ: 'JWT' }, claimsOf(issuer, overrides), key);
const requests = () => people.ks.requests.length + workload.ks.requests.length;
const entitlements = (token: string) => h.call('entitlements', { path: '/v1/entitlements', token });

/** The `access.denied` lines written since `from`. */
const denials = (from: number) => logLines(h, from).filter((line) => line.event === 'access.denied');

describe('a token goes to the issuer its iss names', () => {
  it("accepts each issuer's own tokens, each fetching only its own JWKS", async () => {
    await trustBoth();
    const before = { people: people.ks.jwksHits(), workload: workload.ks.jwksHits() };
    expect((await entitlements(tokenOf(people))).status).toBe(200);
    expect((await entitlements(tokenOf(workload))).status).toBe(200);
    expect(people.ks.jwksHits() - before.people).toBeLessThanOrEqual(1);
    expect(workload.ks.jwksHits() - before.workload).toBeLessThanOrEqual(1);
  });

  it('finds each issuer by its own discovery document when no JWKS URI is configured', async () => {
    await trustBoth('discovery');
    expect((await entitlements(tokenOf(people))).status).toBe(200);
    expect((await entitlements(tokenOf(workload))).status).toBe(200);
    expect(people.ks.discoveryHits()).toBeGreaterThan(0);
    expect(workload.ks.discoveryHits()).toBeGreaterThan(0);
  });

  it('refuses an unknown iss without a single request to either issuer', async () => {
    await trustBoth();
    // Let the cold start's prefetches settle, then count from there.
    await entitlements(tokenOf(people));
    await entitlements(tokenOf(workload));
    const before = requests();
    for (const iss of ['https://evil.example.com', `${people.ks.issuer}/`, `${workload.ks.issuer}/x`, '']) {
      const answer = await entitlements(tokenOf(people, { iss }));
      expect(answer.status).toBe(401);
    }
    // Past the unknown-kid cooldown: a kid the chosen issuer lacked would be fetched for now
    // (the control below); one of an unknown issuer is not.
    advance(31);
    const attacker = await newSigningKey('never-seen');
    expect((await entitlements(tokenOf(people, { iss: 'https://evil.example.com' }, attacker))).status).toBe(
      401,
    );
    expect(requests()).toBe(before);
    expect((await entitlements(tokenOf(workload, {}, attacker))).status).toBe(401);
    expect(workload.ks.jwksHits()).toBeGreaterThan(0);
    expect(requests()).toBe(before + 1);
  });

  it("refuses a token signed with the people issuer's key that names the workload issuer", async () => {
    await trustBoth();
    const forged = tokenOf(workload, {}, people.key);
    const from = h.ledger.logs.length;
    expect((await entitlements(forged)).status).toBe(401);
    expect(denials(from)[0]).toMatchObject({ reason: 'signature', issuer: 'github' });
  });

  it("refuses a token signed with the workload issuer's key that names the people issuer", async () => {
    await trustBoth();
    const forged = tokenOf(people, {}, workload.key);
    const from = h.ledger.logs.length;
    expect((await entitlements(forged)).status).toBe(401);
    expect(denials(from)[0]).toMatchObject({ reason: 'signature', issuer: 'primary' });
  });

  it("refuses one issuer's token carrying the other's audience", async () => {
    await trustBoth();
    expect((await entitlements(tokenOf(workload, { aud: AUDIENCE }))).status).toBe(401);
    expect((await entitlements(tokenOf(people, { aud: WORKLOAD_AUDIENCE }))).status).toBe(401);
  });

  it("keeps each issuer's verified tokens apart: a cached people token does not vouch for the workload issuer", async () => {
    await trustBoth();
    const token = tokenOf(people);
    expect((await entitlements(token)).status).toBe(200);
    // The same bytes, once more: served from the people issuer's cache.
    expect((await entitlements(token)).status).toBe(200);
    const forged = tokenOf(workload, { sub: 'alice' }, people.key);
    expect((await entitlements(forged)).status).toBe(401);
  });
});

describe("the workload issuer's principals are namespaced", () => {
  it('records a workload session as github:<sub>, with its issuer, and no groups of the primary issuer', async () => {
    await trustBoth();
    // Groups claimed by the workload issuer are its own (github:engineers), not the primary's.
    const token = tokenOf(workload, { groups: ['engineers'], actor: 'octocat' });
    const vend = await h.call('credentials', {
      path: '/v1/credentials',
      token,
      body: { entitlementId: 'sandbox-readonly' },
    });
    expect(vend.status).toBe(403);
    const listed = await entitlements(token);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain('sandbox-readonly');
  });

  it("gives a primary token's group named like the workload issuer's (github:engineers) nothing", async () => {
    await trustBoth();
    // Only github:engineers: without it the primary caller is in no group, and sees nothing.
    const answer = await entitlements(tokenOf(people, { groups: ['github:engineers'] }));
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([]);
  });

  it('refuses a primary token whose sub would pass for a workload principal', async () => {
    await trustBoth();
    const from = h.ledger.logs.length;
    const answer = await entitlements(tokenOf(people, { sub: `github:${WORKLOAD_SUB}` }));
    expect(answer.status).toBe(401);
    expect(denials(from)[0]).toMatchObject({ reason: 'claims', issuer: 'primary' });
  });
});

describe('an entitlement granted to a workload identity', () => {
  const WORKLOADS = 'test/support/workload-catalog.yaml';
  const vend = (token: string) =>
    h.call('credentials', { path: '/v1/credentials', token, body: { entitlementId: 'sandbox-readonly' } });

  it('vends to exactly the listed workload principal, recorded as github:<sub>', async () => {
    await trustBoth('jwks_uri', WORKLOADS);
    const answer = await vend(tokenOf(workload, { actor: 'octocat' }));
    expect(answer.status).toBe(200);
    expect(answer.body.session.principal).toEqual({
      sub: `github:${WORKLOAD_SUB}`,
      name: 'octocat',
      groups: [],
    });
  });

  it('names a workload without a name claim by its principal', async () => {
    await trustBoth('jwks_uri', WORKLOADS);
    const answer = await vend(tokenOf(workload));
    expect(answer.status).toBe(200);
    expect(answer.body.session.principal.name).toBe(`github:${WORKLOAD_SUB}`);
  });

  it.each([
    ['another branch', 'repo:org/app:ref:refs/heads/feature'],
    ['another repository', 'repo:org/app2:ref:refs/heads/main'],
    ['a longer principal that starts with it', `${WORKLOAD_SUB}-evil`],
    ['the same principal in capitals', WORKLOAD_SUB.toUpperCase()],
  ])('refuses %s of the same issuer', async (_name, sub) => {
    await trustBoth('jwks_uri', WORKLOADS);
    expect((await vend(tokenOf(workload, { sub }))).status).toBe(403);
  });

  it("refuses the workload's sub when the people issuer vouches for it", async () => {
    await trustBoth('jwks_uri', WORKLOADS);
    // Unprefixed it is a person of the primary issuer, who is in no requester group.
    expect((await vend(tokenOf(people, { sub: WORKLOAD_SUB, groups: [] }))).status).toBe(403);
  });

  it('still lets the requester groups of the primary issuer in', async () => {
    await trustBoth('jwks_uri', WORKLOADS);
    expect((await vend(tokenOf(people))).status).toBe(200);
  });

  it('fails the cold start when a workload principal names an issuer that is not configured', async () => {
    await expect(h.coldStart({ HALLPASS_CATALOG: WORKLOADS, HALLPASS_ISSUERS: undefined })).rejects.toThrow(
      "entitlement 'sandbox-readonly' grants requesterPrincipals of issuer 'github', which is not in HALLPASS_ISSUERS",
    );
  });
});

describe('the access.denied line says why a token was refused, and by which issuer', () => {
  const hour = 3600;
  // [reason, the issuer whose token it is ('none': the refusal precedes the choice), the request]
  const cases: Array<[string, 'people' | 'workload' | 'none', () => Promise<string | undefined>]> = [
    ['missing', 'none', async () => undefined],
    ['scheme', 'none', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['too_large', 'none', async () => `Bearer ${tokenOf(people, { pad: 'x'.repeat(9000) })}`],
    ['malformed', 'none', async () => 'Bearer eyJ!!!.eyJ???.sig'],
    [
      'key_header',
      'none',
      async () =>
        `Bearer ${signJws({ alg: 'RS256', jku: 'http://127.0.0.1:9/' }, claimsOf(people), people.key)}`,
    ],
    ['issuer', 'none', async () => `Bearer ${tokenOf(people, { iss: 'https://evil.example.com' })}`],
    ['issuer', 'none', async () => `Bearer ${tokenOf(people, { iss: undefined })}`],
    ['audience', 'people', async () => `Bearer ${tokenOf(people, { aud: 'someone-else' })}`],
    ['audience', 'workload', async () => `Bearer ${tokenOf(workload, { aud: AUDIENCE })}`],
    [
      'algorithm',
      'workload',
      async () =>
        `Bearer ${signJws({ alg: 'ES256', kid: 'ec' }, claimsOf(workload), await newSigningKey('ec', 'ES256'))}`,
    ],
    [
      'algorithm',
      'people',
      async () =>
        `Bearer ${signHs256({ alg: 'HS256', kid: 'key-1' }, claimsOf(people), Buffer.from('secret'))}`,
    ],
    [
      'unknown_key',
      'workload',
      async () => {
        const stranger = await newSigningKey('stranger');
        return `Bearer ${tokenOf(workload, {}, stranger)}`;
      },
    ],
    [
      'signature',
      'people',
      async () => {
        const [head, body, signature = ''] = tokenOf(people).split('.');
        const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
        return `Bearer ${head}.${body}.${flipped}`;
      },
    ],
    ['expired', 'people', async () => `Bearer ${tokenOf(people, { exp: now() - 120, iat: now() - 900 })}`],
    [
      'expired',
      'workload',
      async () => `Bearer ${tokenOf(workload, { exp: now() - 120, iat: now() - 900 })}`,
    ],
    ['not_yet_valid', 'workload', async () => `Bearer ${tokenOf(workload, { nbf: now() + 300 })}`],
    ['not_yet_valid', 'people', async () => `Bearer ${tokenOf(people, { iat: now() + 300 })}`],
    [
      'too_old',
      'people',
      async () => `Bearer ${tokenOf(people, { iat: now() - 30 * hour, exp: now() + hour })}`,
    ],
    ['claims', 'people', async () => `Bearer ${tokenOf(people, { exp: undefined })}`],
    ['claims', 'workload', async () => `Bearer ${tokenOf(workload, { sub: 42 })}`],
  ];

  it.each(cases)('%s (%s)', async (reason, whose, build) => {
    await trustBoth();
    const authorization = await build();
    const from = h.ledger.logs.length;
    const token = authorization?.replace(/^\S+\s+/, '');
    if (token) h.ledger.token(token);
    const answer = await h.call('entitlements', {
      path: '/v1/entitlements',
      headers: authorization ? { authorization } : {},
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthenticated');
    // The client is told nothing of the reason beyond the message it always had.
    expect(answer.raw).not.toContain(`"${reason}"`);
    const [line, ...more] = denials(from);
    expect(more).toEqual([]);
    const issuer = { people: 'primary', workload: 'github', none: undefined }[whose];
    expect(line).toMatchObject({ reason, status: 401 });
    expect(line?.issuer).toBe(issuer);
    expect(line?.message).toBe(answer.body.error.message);
    if (token && token.length > 20) {
      for (const logged of h.ledger.logs.slice(from)) expect(logged).not.toContain(token);
    }
  });
});
