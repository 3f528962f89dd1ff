/**
 * Every JWT vector of SECURITY.md and issue 7, against every authenticated route, with hallpass
 * pointed at an issuer this file runs (so every JWKS fetch is counted): each is 401 with a JSON error,
 * reaches no use case (no DynamoDB call at all, no STS call) and is logged without the token. Then the
 * JWKS cache: an unknown `kid` costs exactly one refetch and is then rate-limited; a new key is
 * picked up with one refetch; a JWKS that is down, hangs, redirects or serves garbage is 503, never
 * a pass; `jku`/`x5u` URLs are never fetched. The routes without a token (health, OpenAPI, hallpass's
 * OIDC documents) answer every vector exactly as they answer no Authorization header.
 *
 * hallpass trusts two issuers here, each with its own key server: the primary one (people: groups)
 * and a workload issuer named `github` (GitHub Actions-like: `sub` of a repository and ref, no
 * groups, its own audience and algorithms). Every vector and every JWKS test runs against each.
 */
import { createPublicKey } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REFUSAL } from '../../lib/adapters/auth.ts';
import type { Answer, Call } from '../support/api.ts';
import {
  expectInvariants,
  HANDLERS,
  type HandlerName,
  type Harness,
  logLines,
  ROUTE,
  routeCall,
  startHarness,
} from '../support/hardening.ts';
import {
  type KeyServer,
  newSigningKey,
  type SigningKey,
  signHs256,
  signJws,
  startKeyServer,
  startTrapServer,
} from '../support/jwt.ts';
import { AUDIENCE } from '../support/stack-info.ts';

/** One trusted issuer: its key server, keys and the claims of its tokens. */
interface IssuerKind {
  ks: KeyServer;
  rsa: SigningKey;
  ec: SigningKey;
  outsider: SigningKey;
  audience: string;
  sub: string;
  groups: string[] | undefined;
}
const WORKLOAD_AUDIENCE = 'https://github.com/example-org';
const KINDS = ['primary', 'workload'] as const;
const kinds = {} as Record<(typeof KINDS)[number], IssuerKind>;

let h: Harness;
let trap: Awaited<ReturnType<typeof startTrapServer>>;
// The issuer under test (set by each kind's describe below): the vectors read these when they run.
let kind: IssuerKind;
let ks: KeyServer;
let rsa: SigningKey;
let ec: SigningKey;
let outsider: SigningKey;

async function issuerKind(prefix: string, audience: string, sub: string, groups?: string[]) {
  const keys = {
    rsa: await newSigningKey(`${prefix}rsa-1`),
    ec: await newSigningKey(`${prefix}ec-1`, 'ES256'),
    outsider: await newSigningKey(`${prefix}rsa-1`), // same kid as the real key, not in the JWKS
  };
  const server = await startKeyServer([keys.rsa.publicJwk, keys.ec.publicJwk]);
  return { ks: server, ...keys, audience, sub, groups };
}

beforeAll(async () => {
  h = await startHarness({ echoLogs: false });
  kinds.primary = await issuerKind('', AUDIENCE, 'mallory', ['engineers', 'approvers', 'oncall']);
  kinds.workload = await issuerKind('gh-', WORKLOAD_AUDIENCE, 'repo:org/app:ref:refs/heads/main');
  trap = await startTrapServer();
});

afterAll(async () => {
  const fetches = KINDS.map((name) => `${name} ${kinds[name].ks.jwksHits()}`).join(', ');
  process.stderr.write(
    `jwt: ${VECTORS.length} vectors x ${AUTH_ROUTES.length} routes x ${KINDS.length} issuers = ${VECTORS.length * AUTH_ROUTES.length * KINDS.length} refused requests; JWKS fetches: ${fetches}; ${trap.requests.length} requests reached the jku/x5u trap\n`,
  );
  await Promise.all([...KINDS.map((name) => kinds[name].ks.close()), trap.close()]);
  await h.restore();
});

afterEach(async () => {
  vi.useRealTimers();
  ks.setMode('ok');
  ks.setKeys([rsa.publicJwk, ec.publicJwk]);
  expect(trap.requests, 'a jku/x5u/redirect URL was fetched').toEqual([]);
  await expectInvariants(h);
});

/**
 * A cold start trusting both issuers (fresh JWKS caches); the one under test by JWKS URI or by
 * discovery, the other by its JWKS URI.
 */
async function useIssuer(via: 'jwks_uri' | 'discovery' = 'jwks_uri', jwksUri = ks.jwksUri) {
  const uri = (other: IssuerKind) =>
    other !== kind ? other.ks.jwksUri : via === 'jwks_uri' ? jwksUri : undefined;
  const workload = kinds.workload;
  await h.coldStart({
    HALLPASS_ISSUER: kinds.primary.ks.issuer,
    HALLPASS_JWKS_URI: uri(kinds.primary),
    HALLPASS_ISSUERS: JSON.stringify([
      {
        name: 'github',
        issuer: workload.ks.issuer,
        audience: workload.audience,
        algorithms: ['RS256', 'ES256'],
        ...(uri(workload) ? { jwksUri: uri(workload) } : {}),
      },
    ]),
  });
}

const now = () => Math.floor(Date.now() / 1000);
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: ks.issuer,
    aud: kind.audience,
    sub: kind.sub,
    ...(kind.groups ? { groups: kind.groups } : {}),
    iat: now(),
    exp: now() + 600,
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}
const header = (key: SigningKey, extra: Record<string, unknown> = {}) => ({
  alg: key.alg,
  kid: key.kid,
  typ: 'JWT',
  ...extra,
});
const valid = (overrides: Record<string, unknown> = {}) => signJws(header(rsa), claims(overrides), rsa);
const bearer = (token: string) => `Bearer ${token}`;

/** What a call needs besides its method and path to succeed, so only authentication can fail. */
const GOOD: Partial<Record<HandlerName, Partial<Call>>> = {
  credentials: { body: { entitlementId: 'sandbox-readonly' } },
  console: { body: { entitlementId: 'sandbox-readonly', destination: 'https://console.aws.amazon.com/' } },
  'requests-create': { body: { entitlementId: 'prod-admin', justification: 'Deploy the hotfix now' } },
  'requests-list': { query: { view: 'approvable' } },
  'requests-approve': { body: {} },
  'requests-deny': { body: { reason: 'no' } },
  'requests-cancel': { body: {} },
  'sessions-review': { body: { status: 'justified', comment: 'Incident handled' } },
};
/** Every authenticated route of the table that the harness drives, with a call that would succeed. */
const AUTH_ROUTES: Array<[HandlerName, Call]> = HANDLERS.filter((name) => ROUTE[name].auth).map((name) => [
  name,
  { ...routeCall(name, 'rabc'), ...GOOD[name] },
]);

/** The routes without a token (health, the OpenAPI document, hallpass's OIDC documents for STS). */
const PUBLIC_ROUTES: Array<[HandlerName, Call]> = HANDLERS.filter(
  (name) => !ROUTE[name].auth && name !== 'not-found',
).map((name) => [name, routeCall(name)]);

function withAuthorization(call: Call, authorization: string | undefined): Call {
  const headers = { ...(call.headers ?? {}) };
  if (authorization !== undefined) headers.authorization = authorization;
  return { ...call, headers };
}

function expect401(answer: Answer, secret: string | undefined) {
  expect(answer.status).toBe(401);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  expect(answer.body.error.code).toBe('unauthenticated');
  expect(answer.body.error.requestId).toBe(answer.headers['x-request-id']);
  if (secret && secret.length >= 16) expect(answer.raw).not.toContain(secret);
}

function tamper(text: string, at: number): string {
  const chars = [...text];
  const i = Math.min(Math.max(at, 0), chars.length - 2);
  chars[i] = chars[i] === 'A' ? 'B' : 'A';
  return chars.join('');
}

/** Each vector: a name and the Authorization header it sends (built when the test runs). */
const VECTORS: Array<[string, () => string | undefined]> = [
  ['no Authorization header', () => undefined],
  ['an empty Authorization header', () => ''],
  ['alg: none, empty signature', () => bearer(signJws({ alg: 'none', typ: 'JWT' }, claims(), null))],
  ['alg: none with a signature', () => bearer(`${signJws({ alg: 'none' }, claims(), null)}c2ln`)],
  ['alg: NONE (case variant)', () => bearer(`${signJws({ alg: 'NONE' }, claims(), null)}c2ln`)],
  [
    'HS256 keyed with the public key as PEM (key confusion)',
    () =>
      bearer(
        signHs256(
          { alg: 'HS256', kid: rsa.kid },
          claims(),
          createPublicKey({ key: rsa.publicJwk as never, format: 'jwk' })
            .export({ type: 'spki', format: 'pem' })
            .toString(),
        ),
      ),
  ],
  [
    'HS256 keyed with the public JWK as JSON',
    () => bearer(signHs256({ alg: 'HS256', kid: rsa.kid }, claims(), JSON.stringify(rsa.publicJwk))),
  ],
  [
    'HS256 keyed with the RSA modulus bytes',
    () =>
      bearer(
        signHs256({ alg: 'HS256', kid: rsa.kid }, claims(), Buffer.from(rsa.publicJwk.n ?? '', 'base64url')),
      ),
  ],
  [
    'RS256 by a key outside the JWKS, with a known kid',
    () => bearer(signJws(header(outsider), claims(), outsider)),
  ],
  ['ES256 header on the RSA key id', () => bearer(signJws({ ...header(rsa), alg: 'ES256' }, claims(), ec))],
  ['expired beyond the 60 s tolerance', () => bearer(valid({ exp: now() - 120, iat: now() - 900 }))],
  ['no exp', () => bearer(valid({ exp: undefined }))],
  ['exp as a string', () => bearer(valid({ exp: String(now() + 600) }))],
  ['nbf in the future beyond tolerance', () => bearer(valid({ nbf: now() + 300 }))],
  ['wrong iss', () => bearer(valid({ iss: 'https://evil.example.com' }))],
  ['missing iss', () => bearer(valid({ iss: undefined }))],
  ['iss with a trailing slash', () => bearer(valid({ iss: `${ks.issuer}/` }))],
  ['wrong aud', () => bearer(valid({ aud: 'someone-else' }))],
  ['missing aud', () => bearer(valid({ aud: undefined }))],
  ['aud list without hallpass', () => bearer(valid({ aud: ['a', 'b'] }))],
  ['missing sub', () => bearer(valid({ sub: undefined }))],
  ['empty sub', () => bearer(valid({ sub: '' }))],
  ['sub over 256 characters', () => bearer(valid({ sub: 'x'.repeat(257) }))],
  ['numeric sub', () => bearer(valid({ sub: 42 }))],
  [
    'jku header pointing at a server we run',
    () => bearer(signJws(header(rsa, { jku: `${trap.url}/jwks.json` }), claims(), rsa)),
  ],
  [
    'x5u header pointing at a server we run',
    () => bearer(signJws(header(rsa, { x5u: `${trap.url}/cert.pem` }), claims(), rsa)),
  ],
  [
    'jku header with a kid unknown to the JWKS',
    () =>
      bearer(
        signJws(
          { ...header(outsider, { jku: `${trap.url}/jwks.json` }), kid: 'attacker' },
          claims(),
          outsider,
        ),
      ),
  ],
  [
    'embedded jwk header (self-signed)',
    () => bearer(signJws({ alg: 'RS256', jwk: outsider.publicJwk }, claims(), outsider)),
  ],
  [
    'x5c header',
    () =>
      bearer(signJws(header(rsa, { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }), claims(), rsa)),
  ],
  [
    'crit naming an unsupported extension',
    () => bearer(signJws(header(rsa, { crit: ['urn:example:ext'], 'urn:example:ext': true }), claims(), rsa)),
  ],
  [
    'crit naming a header that is absent',
    () => bearer(signJws(header(rsa, { crit: ['urn:example:missing'] }), claims(), rsa)),
  ],
  ['crit empty', () => bearer(signJws(header(rsa, { crit: [] }), claims(), rsa))],
  [
    'crit with b64: false (unencoded payload)',
    () => bearer(signJws(header(rsa, { crit: ['b64'], b64: false }), claims(), rsa)),
  ],
  [
    'tampered payload (groups widened)',
    () => {
      const [head, , signature] = valid({ groups: ['engineers'] }).split('.');
      return bearer(`${head}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.${signature}`);
    },
  ],
  [
    'tampered payload (sub changed)',
    () => {
      const [head, , signature] = valid().split('.');
      return bearer(
        `${head}.${Buffer.from(JSON.stringify(claims({ sub: 'root' }))).toString('base64url')}.${signature}`,
      );
    },
  ],
  [
    'tampered signature',
    () => {
      const [head, body, signature = ''] = valid().split('.');
      return bearer(`${head}.${body}.${tamper(signature, Math.floor(signature.length / 2))}`);
    },
  ],
  [
    'signature of another token',
    () => {
      const [head, body] = valid({ sub: 'root' }).split('.');
      return bearer(`${head}.${body}.${valid().split('.')[2]}`);
    },
  ],
  ['no signature part', () => bearer(valid().split('.').slice(0, 2).join('.'))],
  ['a 9 KiB token, validly signed', () => bearer(valid({ padding: 'x'.repeat(9 * 1024) }))],
  ['two Authorization headers (joined by API Gateway)', () => `${bearer(valid())},${bearer(valid())}`],
  ['Bearer twice in one header', () => `Bearer ${valid()} Bearer ${valid()}`],
  ['Basic scheme', () => `Basic ${Buffer.from('alice:secret').toString('base64')}`],
  ['Digest scheme', () => 'Digest username="alice", realm="hallpass", response="abc"'],
  ['Negotiate scheme', () => 'Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEF'],
  ['Token scheme with a valid JWT', () => `Token ${valid()}`],
  ['JWT scheme with a valid JWT', () => `JWT ${valid()}`],
  ['a bare token without a scheme', () => valid()],
  ['Bearer without a token', () => 'Bearer'],
  ['Bearer with two spaces', () => `Bearer  ${valid()}`],
  ['Bearer with trailing garbage', () => `Bearer ${valid()} extra`],
  ['Bearer with a quoted token', () => `Bearer "${valid()}"`],
  ['a JWE-shaped token (five parts)', () => bearer(`${valid()}.AAAA.BBBB`)],
  ['not base64url', () => bearer('eyJ!!!.eyJ???.sig')],
  ['a header that is not JSON', () => bearer(`${Buffer.from('not json').toString('base64url')}.e30.c2ln`)],
  [
    'a payload that is not JSON',
    () => bearer(`${valid().split('.')[0]}.${Buffer.from('[').toString('base64url')}.c2ln`),
  ],
];

describe.each(KINDS)('the %s issuer', (name) => {
  beforeAll(async () => {
    kind = kinds[name];
    ({ ks, rsa, ec, outsider } = kind);
    await useIssuer();
  });

  describe('every JWT vector is 401 on every authenticated route, reaching no use case', () => {
    it.each(VECTORS)('%s', async (_name, build) => {
      const authorization = build();
      const token = authorization?.replace(/^\S+\s+/, '');
      const dynamoBefore = h.dynamo.exchanges().length;
      const stsBefore = h.stsProxy.exchanges().length;
      const logsBefore = h.ledger.logs.length;
      for (const [route, call] of AUTH_ROUTES) {
        if (token) h.ledger.token(token);
        const answer = await h.call(route, withAuthorization(call, authorization));
        expect401(answer, token?.split('.')[2]);
      }
      expect(h.dynamo.exchanges().length, 'DynamoDB calls').toBe(dynamoBefore);
      expect(h.stsProxy.exchanges().length, 'STS calls').toBe(stsBefore);
      const denied = logLines(h, logsBefore).filter((line) => line.event === 'access.denied');
      expect(denied).toHaveLength(AUTH_ROUTES.length);
      // Each says why, in one of the stable reasons, and by which issuer when the token named one.
      for (const line of denied) {
        expect(Object.values(REFUSAL)).toContain(line.reason);
        expect([undefined, name === 'primary' ? 'primary' : 'github']).toContain(line.issuer);
      }
      if (token && token.length > 20) {
        for (const line of h.ledger.logs.slice(logsBefore)) expect(line).not.toContain(token);
      }
    });
  });

  describe('the routes without a token ignore the Authorization header, whatever it carries', () => {
    it.each(VECTORS)('%s', async (_name, build) => {
      const authorization = build();
      const token = authorization?.replace(/^\S+\s+/, '');
      const before = {
        jwks: ks.jwksHits(),
        dynamo: h.dynamo.exchanges().length,
        sts: h.stsProxy.exchanges().length,
      };
      for (const [route, call] of PUBLIC_ROUTES) {
        if (token) h.ledger.token(token);
        const plain = await h.call(route, call);
        const answer = await h.call(route, withAuthorization(call, authorization));
        expect(answer.status, `${route}: ${answer.raw}`).toBe(200);
        expect(answer.headers['content-type']).toBe('application/json');
        expect(answer.headers['www-authenticate']).toBeUndefined();
        expect(answer.raw).toBe(plain.raw);
      }
      // Not even looked at: no JWKS fetch, no DynamoDB or STS call.
      expect(ks.jwksHits()).toBe(before.jwks);
      expect(h.dynamo.exchanges().length).toBe(before.dynamo);
      expect(h.stsProxy.exchanges().length).toBe(before.sts);
    });
  });

  describe('controls: the same issuer and keys do work', () => {
    it.each([
      ['a valid RS256 token', () => valid()],
      ['a valid ES256 token from the same JWKS', () => signJws(header(ec), claims(), ec)],
      [
        'a token without kid (matched by algorithm)',
        () => signJws({ alg: 'RS256', typ: 'JWT' }, claims(), rsa),
      ],
      ['exp 30 s ago (inside the 60 s tolerance)', () => valid({ exp: now() - 30, iat: now() - 600 })],
      ['nbf 30 s ahead (inside the tolerance)', () => valid({ nbf: now() + 30 })],
      ['aud as a list containing hallpass', () => valid({ aud: ['other', kind.audience] })],
      ['lower-case bearer scheme', () => valid()],
    ])('accepts %s', async (name, build) => {
      const token = build();
      const scheme = name.startsWith('lower-case') ? 'bearer' : 'Bearer';
      h.ledger.token(token);
      const answer = await h.call('entitlements', {
        path: '/v1/entitlements',
        headers: { authorization: `${scheme} ${token}` },
      });
      expect(answer.status).toBe(200);
    });
  });

  describe('the JWKS cache', () => {
    const rogue = () => newSigningKey('rogue-kid');
    const entitlements = (token: string) => h.call('entitlements', { path: '/v1/entitlements', token });
    const advance = (seconds: number) => {
      const target = Date.now() + seconds * 1000;
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(target);
    };

    it('fetches the JWKS once per cold start, not per request', async () => {
      await useIssuer();
      const before = ks.jwksHits();
      for (let i = 0; i < 10; i++) expect((await entitlements(valid())).status).toBe(200);
      expect(ks.jwksHits() - before).toBe(1);
    });

    it('an unknown kid causes exactly one refetch, then is rate-limited (30 s cooldown)', async () => {
      await useIssuer();
      const base = ks.jwksHits();
      expect((await entitlements(valid())).status).toBe(200);
      expect(ks.jwksHits()).toBe(base + 1);
      const attacker = await rogue();
      const unknown = () => signJws(header(attacker), claims(), attacker);

      // Within 30 s of the fetch: refused, and the JWKS is not fetched again.
      for (let i = 0; i < 5; i++) expect401(await entitlements(unknown()), undefined);
      expect(ks.jwksHits()).toBe(base + 1);

      // After the cooldown: 20 concurrent unknown kids cost exactly one refetch between them.
      advance(31);
      const burst = await Promise.all(Array.from({ length: 20 }, () => entitlements(unknown())));
      for (const answer of burst) expect401(answer, undefined);
      expect(ks.jwksHits()).toBe(base + 2);
      for (let i = 0; i < 20; i++) expect401(await entitlements(unknown()), undefined);
      expect(ks.jwksHits()).toBe(base + 2);
      // Known keys keep working meanwhile, from the cache.
      expect((await entitlements(valid())).status).toBe(200);
      expect(ks.jwksHits()).toBe(base + 2);

      // Another cooldown, another single refetch.
      advance(31);
      for (let i = 0; i < 10; i++) expect401(await entitlements(unknown()), undefined);
      expect(ks.jwksHits()).toBe(base + 3);
    });

    it('picks up a newly published key with exactly one refetch once the cooldown has passed', async () => {
      await useIssuer();
      const base = ks.jwksHits();
      expect((await entitlements(valid())).status).toBe(200);
      const next = await newSigningKey('rsa-2');
      ks.setKeys([rsa.publicJwk, ec.publicJwk, next.publicJwk]);
      const signedByNext = () => signJws(header(next), claims(), next);

      // Within the cooldown the new kid is refused without a fetch (documented: at most one per 30 s).
      expect401(await entitlements(signedByNext()), undefined);
      expect(ks.jwksHits()).toBe(base + 1);

      advance(31);
      expect((await entitlements(signedByNext())).status).toBe(200);
      expect(ks.jwksHits()).toBe(base + 2);
      for (let i = 0; i < 5; i++) expect((await entitlements(signedByNext())).status).toBe(200);
      expect((await entitlements(valid())).status).toBe(200);
      expect(ks.jwksHits()).toBe(base + 2);
    });

    it('drops a key the issuer withdrew once the cache is refreshed (10 min max age)', async () => {
      await useIssuer();
      expect((await entitlements(valid())).status).toBe(200);
      ks.setKeys([ec.publicJwk]);
      advance(601);
      expect401(await entitlements(valid()), undefined);
      expect((await entitlements(signJws(header(ec), claims(), ec))).status).toBe(200);
    });

    it('keeps verifying known keys from the cache while the JWKS is down; an unknown kid is then 503, never a pass', async () => {
      await useIssuer();
      expect((await entitlements(valid())).status).toBe(200);
      ks.setMode('error');
      expect((await entitlements(valid())).status).toBe(200);
      advance(31);
      const attacker = await rogue();
      const answer = await entitlements(signJws(header(attacker), claims(), attacker));
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('upstream_unavailable');
      expect(answer.headers['retry-after']).toBeDefined();
    });

    it('an unknown kid while the JWKS is failing costs at most one JWKS fetch per 30 s cooldown', async () => {
      await useIssuer();
      expect((await entitlements(valid())).status).toBe(200);
      ks.setMode('error');
      advance(31);
      const attacker = await rogue();
      const before = ks.jwksHits();
      for (let i = 0; i < 10; i++) {
        const answer = await entitlements(signJws(header(attacker), claims(), attacker));
        expect([401, 503]).toContain(answer.status);
      }
      expect(ks.jwksHits() - before).toBeLessThanOrEqual(1);
    });
  });

  describe('a JWKS that cannot be used is 503 upstream_unavailable, never a pass', () => {
    // [how the JWKS fails, how to make it so, how many routes to try (a hang costs 3 s each)]
    const modes: Array<[string, () => Promise<void>, number?]> = [
      ['answers 500', async () => ks.setMode('error')],
      ['serves HTML', async () => ks.setMode('garbage')],
      ['serves JSON that is not a JWKS', async () => ks.setMode('not-a-jwks')],
      [
        'redirects to another server (never followed)',
        async () => ks.setMode('redirect', `${trap.url}/jwks.json`),
      ],
      ['does not answer within 3 s', async () => ks.setMode('hang'), 1],
      [
        'refuses connections (JWKS URI on a closed port)',
        async () => useIssuer('jwks_uri', 'http://127.0.0.1:9/jwks.json'),
      ],
      [
        'is reached through discovery, and discovery answers 500',
        async () => {
          await useIssuer('discovery');
          ks.setMode('error');
        },
      ],
    ];

    it.each(modes)('the JWKS %s', async (_name, arrange, routes = 3) => {
      await useIssuer();
      await arrange();
      const started = Date.now();
      const stsBefore = h.stsProxy.exchanges().length;
      const dynamoBefore = h.dynamo.exchanges().length;
      const token = valid();
      for (const [route, call] of AUTH_ROUTES.slice(0, routes)) {
        const answer = await h.call(route, { ...call, token });
        expect(answer.status).toBe(503);
        expect(answer.body.error.code).toBe('upstream_unavailable');
        expect(answer.headers['retry-after']).toMatch(/^\d+$/);
        expect(answer.raw).not.toContain(token.split('.')[2]);
      }
      // jose's 3 s fetch timeout bounds each attempt.
      expect(Date.now() - started).toBeLessThan(routes * 3500);
      expect(h.stsProxy.exchanges().length).toBe(stsBefore);
      expect(h.dynamo.exchanges().length).toBe(dynamoBefore);
    });

    it('uses the discovery document when no JWKS URI is configured, once per cold start', async () => {
      await useIssuer('discovery');
      const before = { discovery: ks.discoveryHits(), jwks: ks.jwksHits() };
      for (let i = 0; i < 3; i++)
        expect((await h.call('entitlements', { path: '/v1/entitlements', token: valid() })).status).toBe(200);
      expect(ks.discoveryHits() - before.discovery).toBe(1);
      expect(ks.jwksHits() - before.jwks).toBe(1);
    });
  });
});
