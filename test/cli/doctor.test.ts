/**
 * `hallpass doctor` with workload identities (issue 17): a token of a further issuer (a CI job's) is
 * judged as the API judges it, never against the people's issuer and groups. The API here is the
 * server's own code in process: the real authenticator (two issuers under the test's control: the
 * people's, primary, and `github`), the real catalog parser and GET /v1/entitlements' use case; the
 * CLI runs in process against it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/app.ts';
import type { Io } from '../../cli/context.ts';
import { type AuthSettings, createAuthenticator } from '../../lib/adapters/auth.ts';
import { parseCatalog } from '../../lib/core/catalog.ts';
import { listEntitlements } from '../../lib/use-cases/list-entitlements.ts';
import { type KeyServer, newSigningKey, type SigningKey, signJws, startKeyServer } from '../support/jwt.ts';
import { cleanEnv } from './support/cli.ts';

const MAIN_BRANCH = 'repo:org/app:ref:refs/heads/main';

const CATALOG = parseCatalog(
  {
    entitlements: [
      {
        id: 'sandbox',
        roleArn: 'arn:aws:iam::111111111111:role/sandbox',
        requesterGroups: ['engineers'],
        maxDurationSeconds: 3600,
        defaultDurationSeconds: 900,
        approval: { required: false },
      },
      {
        id: 'deploy-prod',
        roleArn: 'arn:aws:iam::111111111111:role/deploy',
        requesterGroups: [],
        requesterPrincipals: [`github:${MAIN_BRANCH}`],
        maxDurationSeconds: 3600,
        defaultDurationSeconds: 900,
        approval: { required: false },
      },
    ],
  },
  { maxSessionSeconds: 3600 },
);

interface Issuer {
  ks: KeyServer;
  key: SigningKey;
}
let people: Issuer;
let github: Issuer;
let api: Server;
let apiUrl = '';

const issuerSettings = (issuer: Issuer, audience: string): AuthSettings => ({
  issuer: issuer.ks.issuer,
  audience,
  jwksUri: issuer.ks.jwksUri,
  algorithms: ['RS256'],
  claims: { principal: 'sub', name: ['email'], groups: 'groups' },
});

beforeAll(async () => {
  const start = async (kid: string): Promise<Issuer> => {
    const key = await newSigningKey(kid);
    return { key, ks: await startKeyServer([key.publicJwk]) };
  };
  [people, github] = await Promise.all([start('people-1'), start('github-1')]);
  const authenticate = createAuthenticator([
    issuerSettings(people, 'hallpass'),
    { ...issuerSettings(github, 'hallpass-ci'), name: 'github' },
  ]);
  // GET /v1/health and GET /v1/entitlements, as the functions answer them.
  api = createServer(async (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/health') return res.end(JSON.stringify({ status: 'ok' }));
    try {
      const principal = await authenticate(req.headers.authorization);
      res.end(JSON.stringify(listEntitlements(CATALOG, principal)));
    } catch {
      res.statusCode = 401;
      res.end(
        JSON.stringify({
          error: {
            code: 'unauthenticated',
            message: 'the bearer token is invalid or expired',
            requestId: 'r1',
          },
        }),
      );
    }
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await Promise.all([people.ks.close(), github.ks.close()]);
  await new Promise((resolve) => api.close(resolve));
});

/** A token `issuer` signs: iss, aud, sub, iat now and exp in ten minutes, then `claims`. */
function token(issuer: Issuer, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: issuer.ks.issuer, iat: now, exp: now + 600, ...claims };
  return signJws({ alg: 'RS256', kid: issuer.key.kid, typ: 'JWT' }, payload, issuer.key);
}
const githubToken = (sub: string) => token(github, { aud: 'hallpass-ci', sub, repository: 'org/app' });

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-doctor-'));
  env = cleanEnv({ HALLPASS_CONFIG_DIR: join(dir, 'config') });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Check {
  name: string;
  status: string;
  detail: string;
  fix?: string;
}

/** `hallpass doctor --json` with HALLPASS_TOKEN, the profile set up for the people's issuer. */
async function doctor(
  bearer: string,
  profileIssuer = people.ks.issuer,
): Promise<{ checks: Record<string, Check> }> {
  let out = '';
  const io: Io = {
    env,
    output: { color: false, out: (t) => (out += `${t}\n`), err: () => {} },
    stdin: process.stdin,
    now: Date.now,
    sleep: async () => {},
  };
  const configured = ['configure', '--url', apiUrl, '--issuer', profileIssuer, '--audience', 'hallpass'];
  expect(await run(configured, io)).toBe(0);
  out = '';
  io.env = { ...env, HALLPASS_TOKEN: bearer };
  await run(['doctor', '--json'], io);
  const { checks } = JSON.parse(out) as { checks: Check[] };
  return { checks: Object.fromEntries(checks.map((check) => [check.name, check])) };
}

/**
 * The checks that failed, but the issuer's: the key servers' discovery documents name no token
 * endpoint, which the CLI's sign-in needs (test/cli/login.test.ts covers that check).
 */
const failures = (checks: Record<string, Check>) =>
  Object.values(checks)
    .filter((check) => check.status === 'fail' && check.name !== 'issuer')
    .map((check) => check.name);

describe('doctor with a workload token of a further issuer', () => {
  it('passes a token granted only through requesterPrincipals, judged against its own issuer', async () => {
    const { checks } = await doctor(githubToken(MAIN_BRANCH));

    expect(failures(checks)).toEqual([]);
    expect(checks.token).toMatchObject({
      status: 'ok',
      detail: `HALLPASS_TOKEN, from '${github.ks.issuer}', the API's issuer 'github': a workload's token, for 'github:${MAIN_BRANCH}'`,
    });
    expect(checks.audience).toMatchObject({ status: 'ok' });
    expect(checks.groups).toMatchObject({
      status: 'ok',
      detail: `none: a workload's token is granted by its principal, 'github:${MAIN_BRANCH}' (requesterPrincipals)`,
    });
    expect(checks.entitlements).toEqual({
      name: 'entitlements',
      status: 'ok',
      detail: 'you may use deploy-prod',
    });
  });

  it('names the namespaced principal to list when the token matches nothing', async () => {
    const { checks } = await doctor(githubToken('repo:org/app:ref:refs/heads/feature'));

    expect(failures(checks)).toEqual(['entitlements']);
    expect(checks.entitlements).toEqual({
      name: 'entitlements',
      status: 'fail',
      detail:
        "the API knows this token as 'github:repo:org/app:ref:refs/heads/feature' (issuer 'github', no groups) and grants it no entitlement",
      fix: "grant it in the catalog: requesterPrincipals: ['github:repo:org/app:ref:refs/heads/feature'] on the entitlement (matched exactly: a principal the catalog lists for another branch, environment or event does not match this one)",
    });
  });

  it('says a principal the catalog cannot list must be granted through a group', async () => {
    const { checks } = await doctor(githubToken('job with spaces'));

    expect(checks.entitlements).toMatchObject({
      status: 'fail',
      fix: "the catalog cannot list 'github:job with spaces' in requesterPrincipals (printable, no spaces, no * or ?, at most 256 after the issuer name): grant one of its groups instead",
    });
  });

  it("shows a workload's groups as the API prefixes them", async () => {
    const { checks } = await doctor(token(github, { aud: 'hallpass-ci', sub: 'job', groups: ['engineers'] }));

    expect(checks.groups).toEqual({
      name: 'groups',
      status: 'ok',
      detail: 'groups (as the API reads them): github:engineers',
    });
    expect(checks.entitlements?.detail).toBe(
      "the API knows this token as 'github:job' (issuer 'github', groups github:engineers) and grants it no entitlement",
    );
  });

  it("does not judge a refused workload token by the profile's audience: it points at HALLPASS_ISSUERS", async () => {
    const { checks } = await doctor(token(github, { aud: 'someone-else', sub: MAIN_BRANCH }));

    expect(failures(checks)).toEqual(['api token']);
    expect(checks.token).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining("a workload's (CI) token needs its issuer in the API's HALLPASS_ISSUERS"),
    });
    expect(checks.audience).toEqual({
      name: 'audience',
      status: 'skip',
      detail:
        "the token's aud is 'someone-else'; its issuer's audience is in the API's HALLPASS_ISSUERS, not in the profile",
      fix: `the API's HALLPASS_ISSUERS entry for '${github.ks.issuer}' must have one of the token's aud as its audience`,
    });
    expect(checks['api token']).toMatchObject({ status: 'fail' });
  });
});

describe("doctor with a person's token of the primary issuer", () => {
  it('passes a token whose groups grant an entitlement, showing the groups as the API reads them', async () => {
    const { checks } = await doctor(token(people, { aud: 'hallpass', sub: 'alice', groups: ['engineers'] }));

    expect(failures(checks)).toEqual([]);
    expect(checks.groups?.detail).toBe('groups (as the API reads them): engineers');
    expect(checks.entitlements?.detail).toBe('you may use sandbox');
  });

  it('names the principal and groups the API saw when they grant nothing', async () => {
    const { checks } = await doctor(token(people, { aud: 'hallpass', sub: 'alice', groups: ['sales'] }));

    expect(checks.entitlements).toEqual({
      name: 'entitlements',
      status: 'fail',
      detail: "the API knows you as 'alice' with groups sales, which grant no entitlement",
      fix: "ask for membership of a group in an entitlement's requesterGroups, or check that the token carries your groups",
    });
  });

  it("tells a profile set up with another issuer than the API's primary one to take the API's", async () => {
    const { checks } = await doctor(
      token(people, { aud: 'hallpass', sub: 'alice', groups: ['engineers'] }),
      github.ks.issuer,
    );

    expect(checks.token).toEqual({
      name: 'token',
      status: 'warn',
      detail: `HALLPASS_TOKEN was issued by '${people.ks.issuer}', not by the profile's issuer '${github.ks.issuer}'`,
      fix: `the API takes it as its primary issuer's: hallpass configure --issuer ${people.ks.issuer}`,
    });
    expect(checks.entitlements?.status).toBe('ok');
  });

  it('warns when the API finds no groups in the token', async () => {
    const { checks } = await doctor(token(people, { aud: 'hallpass', sub: 'alice' }));

    expect(checks.groups).toMatchObject({
      status: 'warn',
      detail: 'the API finds no groups in the token: entitlements are granted to groups',
    });
  });
});
