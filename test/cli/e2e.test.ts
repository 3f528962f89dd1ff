/**
 * The `hallpass` CLI end to end, as a new user runs it: against `npm start` (the real local stack:
 * serverless-offline, dynalite, the local STS and the dev OIDC issuer), the CLI as a subprocess,
 * a device login completed through the dev sign-in page the way a browser does, and the AWS CLI
 * using `credential_process`. (`sessions` and `review` are also in fake-api.test.ts, for what the
 * real API cannot be made to answer.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EntitlementList,
  Request,
  RequestList,
  Session,
  SessionList,
  VendResponse,
} from '../../lib/schemas.ts';
import { loadOrCreateIssuerKey, signDevToken } from '../../local/issuer/keys.ts';
import { AWS_CLI } from '../support/aws-cli.ts';
import { completeDeviceSignIn } from './support/browser.ts';
import { cleanEnv, hallpass, hallpassInBackground, SHIM } from './support/cli.ts';
import { type LocalStack, startStack } from './support/stack.ts';

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'hallpass-cli-home-'));
const configDir = join(home, 'config');
const tokensFile = join(configDir, 'tokens', 'default.json');
const cacheDir = join(configDir, 'cache', 'default');
const mode = (path: string) => statSync(path).mode & 0o777;

let stack: LocalStack;
/** Alice's shell: the stored login, no HALLPASS_TOKEN. */
let env: NodeJS.ProcessEnv;

/** Another person's shell, with a dev token in HALLPASS_TOKEN (as CI or a script would). */
async function asUser(sub: string, groups: string[], name?: string): Promise<NodeJS.ProcessEnv> {
  const key = await loadOrCreateIssuerKey(join(stack.stateDir, 'issuer-key.json'));
  const token = await signDevToken(key, stack.issuer, {
    sub,
    groups,
    audience: 'hallpass',
    expiresIn: 600,
    ...(name ? { name } : {}),
  });
  return {
    ...env,
    HALLPASS_TOKEN: token,
    HALLPASS_CONFIG_DIR: join(home, `config-${sub}`),
    HALLPASS_URL: stack.api,
  };
}

/** Session records in the audit table (one per issuance) of `sub` on `entitlementId`. */
async function auditedSessions(sub: string, entitlementId: string): Promise<string[]> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.dynamodb,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const keys: string[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: 'hallpass-local-audit', ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? [])
        if (
          item.pk?.S?.startsWith('session#') &&
          item.principalSub?.S === sub &&
          item.entitlementId?.S === entitlementId
        )
          keys.push(item.pk.S);
      start = page.LastEvaluatedKey as typeof start;
    } while (start);
    return keys.sort();
  } finally {
    client.destroy();
  }
}

/** Loads every route's function once, in parallel: serverless-offline loads a function on its first call. */
async function warmUp(api: string): Promise<void> {
  const calls: Array<[string, string]> = [
    ['GET', '/entitlements'],
    ['POST', '/credentials'],
    ['POST', '/requests'],
    ['GET', '/requests'],
    ['GET', '/requests/x'],
    ['POST', '/requests/x/approve'],
    ['POST', '/requests/x/deny'],
    ['POST', '/requests/x/cancel'],
    ['GET', '/sessions'],
    ['GET', '/sessions/x'],
    ['POST', '/sessions/x/review'],
  ];
  await Promise.all(
    calls.map(([method, path]) => fetch(`${api}${path}`, { method }).then((r) => r.arrayBuffer())),
  );
}

const readTokens = () => JSON.parse(readFileSync(tokensFile, 'utf8')) as Record<string, string | number>;

describe('the hallpass CLI against npm start', () => {
  beforeAll(async () => {
    stack = await startStack();
    env = cleanEnv({ HALLPASS_CONFIG_DIR: configDir, HALLPASS_STATE_DIR: stack.stateDir });
    await Promise.all([warmUp(stack.api), hallpass(['--version'], env)]);
  }, 100_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it('configure --local writes the API URL and issuer of the running stack, in a 0600 file', async () => {
    const result = await hallpass(['configure', '--local', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      profile: 'default',
      url: stack.api,
      issuer: stack.issuer,
    });
    expect(mode(join(configDir, 'config.json'))).toBe(0o600);
    expect(mode(configDir)).toBe(0o700);
  });

  it('logs in with the device flow through the dev sign-in page, stores the tokens 0600, and uses them', async () => {
    const login = hallpassInBackground(['login'], env);
    const [, uri] = await login.waitFor(/open this page in a browser:\s+(http\S+)/);
    const [, code] = await login.waitFor(/enter the code:\s+([A-Z]{4}-[A-Z]{4})/);
    const done = await completeDeviceSignIn(uri as string, code as string, {
      sub: 'alice',
      groups: ['engineers'],
      name: 'Alice Doe',
    });
    expect(done.html).toContain('You are signed in');
    expect(await login.exited, login.stderr()).toBe(0);
    expect(login.stdout()).toContain('Signed in as alice (Alice Doe); groups: engineers.');

    expect(mode(tokensFile)).toBe(0o600);
    expect(mode(join(configDir, 'tokens'))).toBe(0o700);
    const stored = readTokens();
    expect(stored.refreshToken).toEqual(expect.any(String));
    expect(decodeJwt(stored.accessToken as string)).toMatchObject({
      iss: stack.issuer,
      aud: 'hallpass',
      sub: 'alice',
      groups: ['engineers'],
    });

    const table = await hallpass(['entitlements'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).not.toContain('\x1b['); // plain on a pipe
    expect(table.stdout).toMatch(/^ENTITLEMENT\s+REQUEST\s+APPROVE\s+BREAK GLASS/m);
    expect(table.stdout).toMatch(/^sandbox-readonly\s+yes\s+-\s+-\s+15m \(max 1h\)/m);
    expect(table.stdout).toMatch(/^prod-admin\s+after 1 approval/m);
    const list = EntitlementList.parse(JSON.parse((await hallpass(['entitlements', '--json'], env)).stdout));
    expect(list.items.map((e) => e.id)).toEqual(['sandbox-readonly', 'prod-admin', 'sandbox-poweruser']);
  }, 90_000);

  it('refreshes an expired access token with the refresh token, and stores the rotated tokens', async () => {
    const before = readTokens();
    writeFileSync(tokensFile, JSON.stringify({ ...before, expiresAt: 0 }), { mode: 0o600 });
    const result = await hallpass(['entitlements', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const after = readTokens();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now() / 1000 + 600);
    expect(decodeJwt(after.accessToken as string)).toMatchObject({ sub: 'alice', groups: ['engineers'] });
    expect(mode(tokensFile)).toBe(0o600);
  });

  it('credential-process fails cleanly when approval is needed and none is usable: stderr, exit 1, empty stdout', async () => {
    const result = await hallpass(['credential-process', 'prod-admin'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("'prod-admin' needs an approved request");
    expect(result.stderr).toContain('hallpass request prod-admin --reason');
  });

  // From here to logout, the tests run concurrently: each vends as a different person or entitlement.
  // Their timeouts guard against a hang, not speed: six of them share one stack and CI's two cores.
  it.concurrent('serves the AWS CLI through credential_process, and a second call reuses the cached session', async () => {
    const awsConfig = join(home, 'aws-config');
    writeFileSync(
      awsConfig,
      `[profile p]\ncredential_process = ${SHIM} credential-process sandbox-readonly\nregion = us-east-1\n`,
    );
    const awsEnv = { ...env, AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    const callerIdentity = async () => {
      const { stdout } = await run(
        AWS_CLI,
        ['sts', 'get-caller-identity', '--profile', 'p', '--endpoint-url', stack.sts],
        {
          env: awsEnv,
        },
      );
      return JSON.parse(stdout) as { Arn: string };
    };
    const sessions = () => auditedSessions('alice', 'sandbox-readonly');
    const before = await sessions();
    const first = await callerIdentity();
    expect(first.Arn).toMatch(
      /^arn:aws:sts::111111111111:assumed-role\/hallpass-sandbox-readonly\/alice\.[a-z0-9]+$/,
    );
    const afterFirst = await sessions();
    expect(afterFirst.length).toBe(before.length + 1);

    const second = await callerIdentity();
    expect(second.Arn).toBe(first.Arn);
    expect(await sessions()).toEqual(afterFirst);

    const cachedSandbox = () => readdirSync(cacheDir).filter((name) => name.startsWith('sandbox-readonly.'));
    const cached = cachedSandbox();
    expect(cached).toHaveLength(1);
    expect(mode(join(cacheDir, cached[0] as string))).toBe(0o600);

    // --no-cache: memory only, a new session every time, and no file.
    const direct = await hallpass(['credential-process', 'sandbox-readonly', '--no-cache'], env);
    expect(direct.code, direct.stderr).toBe(0);
    expect(Object.keys(JSON.parse(direct.stdout))).toEqual([
      'Version',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Expiration',
    ]);
    expect((await sessions()).length).toBe(afterFirst.length + 1);
    expect(cachedSandbox()).toEqual(cached);
  }, 90_000);

  it.concurrent('request --wait sees another user approve; exec then uses the approval and passes the exit code on', async () => {
    const bob = await asUser('bob', ['approvers'], 'Bob Roe');
    const waiting = hallpassInBackground(
      [
        'request',
        'prod-admin',
        '--reason',
        'Deploy the payments hotfix',
        '--ticket',
        'CHG-1234',
        '--duration',
        '30m',
        '--wait',
        '--interval',
        '1s',
      ],
      env,
    );
    const [, id] = await waiting.waitFor(/Request (\S+) for prod-admin: pending \(0\/1 approvals\)/);

    const pending = await hallpass(['requests', '--approvable', '--status', 'pending', '--json'], bob);
    expect(pending.code, pending.stderr).toBe(0);
    expect(RequestList.parse(JSON.parse(pending.stdout)).items.map((r) => r.id)).toContain(id);
    const self = await hallpass(['approve', id as string], env);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('HTTP 403 self_approval_forbidden');

    const approved = await hallpass(['approve', id as string, '--comment', 'ok'], bob);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`Request ${id} (prod-admin, alice): approved, 1/1 approvals.`);

    expect(await waiting.exited, waiting.stderr()).toBe(0);
    expect(waiting.stderr()).toContain('approved (1/1 approvals, last by Bob Roe)');
    expect(waiting.stdout()).toMatch(/status:\s+approved/);

    const sessions = () => auditedSessions('alice', 'prod-admin');
    const before = (await sessions()).length;
    const script = 'console.log(JSON.stringify(process.env)); process.exit(7)';
    const exec = await hallpass(['exec', 'prod-admin', '--', 'node', '-e', script], env);
    expect(exec.code, exec.stderr).toBe(7);
    const childEnv = JSON.parse(exec.stdout) as Record<string, string>;
    expect(childEnv.AWS_ACCESS_KEY_ID).toMatch(/^ASIA/);
    expect(childEnv.AWS_SECRET_ACCESS_KEY).toEqual(expect.any(String));
    expect(childEnv.AWS_SESSION_TOKEN).toEqual(expect.any(String));
    expect(Date.parse(childEnv.AWS_CREDENTIAL_EXPIRATION as string) - Date.now()).toBeGreaterThan(
      25 * 60_000,
    );
    expect(await sessions()).toContain(`session#${childEnv.AWS_ACCESS_KEY_ID}`);
    expect((await sessions()).length).toBe(before + 1);

    const consumed = Request.parse(
      JSON.parse((await hallpass(['requests', id as string, '--json'], env)).stdout),
    );
    expect(consumed).toMatchObject({ status: 'consumed', usesRemaining: 0 });
    // The approval is used up: without the cache there is nothing left to vend with.
    const again = await hallpass(['exec', 'prod-admin', '--no-cache', '--', 'true'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('hallpass request prod-admin');
  }, 90_000);

  it.concurrent('deny and cancel', async () => {
    const bob = await asUser('bob', ['approvers'], 'Bob Roe');
    const create = async () => {
      const result = await hallpass(
        ['request', 'prod-admin', '--reason', 'Rotate the payments keys', '--json'],
        env,
      );
      expect(result.code, result.stderr).toBe(0);
      return Request.parse(JSON.parse(result.stdout));
    };
    const [first, second] = [await create(), await create()];
    const denied = await hallpass(['deny', first.id, '--reason', 'Use the runbook instead', '--json'], bob);
    expect(Request.parse(JSON.parse(denied.stdout)).denial?.reason).toBe('Use the runbook instead');
    const cancelled = await hallpass(['cancel', second.id], env);
    expect(cancelled.stdout).toContain(`Request ${second.id} (prod-admin, alice): cancelled`);
    const mine = await hallpass(['requests'], env);
    expect(mine.stdout).toMatch(new RegExp(`^${first.id}\\s+prod-admin\\s+denied`, 'm'));
    expect(mine.stdout).toMatch(new RegExp(`^${second.id}\\s+prod-admin\\s+cancelled`, 'm'));
    const short = await hallpass(['request', 'prod-admin', '--reason', 'short'], env);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--reason: Too small');
  }, 90_000);

  it.concurrent('env prints export lines a shell can eval, and the AWS CLI accepts them', async () => {
    const dave = await asUser('dave', ['engineers']);
    const script = `eval "$(${SHIM} env sandbox-readonly)" && ${AWS_CLI} sts get-caller-identity --endpoint-url ${stack.sts} --query Arn --output text`;
    const { stdout } = await run('bash', ['-c', script], {
      env: {
        ...dave,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    });
    expect(stdout.trim()).toMatch(
      /^arn:aws:sts::111111111111:assumed-role\/hallpass-sandbox-readonly\/dave\./,
    );
  }, 90_000);

  it.concurrent('break-glass: an on-call engineer gets a reviewed session; a short reason is refused locally', async () => {
    const carol = await asUser('carol', ['oncall'], 'Carol Poe');
    const result = await hallpass(
      ['break-glass', 'prod-admin', '--reason', 'INC-1234: payments API is down', '--json'],
      carol,
    );
    expect(result.code, result.stderr).toBe(0);
    const vended = VendResponse.parse(JSON.parse(result.stdout));
    expect(vended.session.breakGlass).toMatchObject({
      justification: 'INC-1234: payments API is down',
      review: { status: 'pending' },
    });
    expect(result.stderr).toContain(`Break-glass session ${vended.session.id} on prod-admin`);
    const refused = await hallpass(['break-glass', 'prod-admin', '--reason', 'it is down'], carol);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('--reason: Too small');
  }, 90_000);

  it.concurrent('sessions and review: an auditor finds a break-glass session, reviews it once; a second review is 409', async () => {
    const oscar = await asUser('oscar', ['oncall'], 'Oscar Oncall');
    const audrey = await asUser('audrey', ['auditors'], 'Audrey Auditor');
    const broke = await hallpass(
      ['break-glass', 'prod-admin', '--reason', 'INC-2001: checkout is returning 500s'],
      oscar,
    );
    expect(broke.code, broke.stderr).toBe(0);
    expect(broke.stdout).toMatch(/^export AWS_ACCESS_KEY_ID=/m);
    const [, id] = /Break-glass session (\S+) on prod-admin/.exec(broke.stderr) ?? [];
    expect(id, broke.stderr).toEqual(expect.any(String));

    const listed = await hallpass(['sessions', '--break-glass', '--json'], audrey);
    expect(listed.code, listed.stderr).toBe(0);
    const page = SessionList.parse(JSON.parse(listed.stdout));
    expect(page.items.every((s) => s.breakGlass !== null)).toBe(true);
    const found = page.items.find((s) => s.id === id);
    expect(found, listed.stdout).toMatchObject({
      principal: { sub: 'oscar' },
      entitlementId: 'prod-admin',
      breakGlass: {
        justification: 'INC-2001: checkout is returning 500s',
        review: { status: 'pending', reviewer: null, at: null, comment: null },
      },
    });

    const reviewed = await hallpass(
      ['review', id as string, '--justified', '--comment', 'INC-2001 was open and paged oscar'],
      audrey,
    );
    expect(reviewed.code, reviewed.stderr).toBe(0);
    expect(reviewed.stdout).toBe(`Session ${id} (oscar, prod-admin): justified.\n`);
    // The verdict is stored: GET /v1/sessions/{id} returns it.
    const one = await hallpass(['sessions', id as string, '--json'], audrey);
    expect(one.code, one.stderr).toBe(0);
    expect(Session.parse(JSON.parse(one.stdout)).breakGlass?.review).toMatchObject({
      status: 'justified',
      reviewer: { sub: 'audrey', name: 'Audrey Auditor' },
      comment: 'INC-2001 was open and paged oscar',
    });

    const again = await hallpass(
      ['review', id as string, '--unjustified', '--comment', 'changed my mind'],
      audrey,
    );
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(
      /^hallpass: the session has already been reviewed \(HTTP 409 conflict, request id \S+\)$/m,
    );
  }, 90_000);

  it.concurrent('sessions: a non-auditor sees only their own sessions, and a filter on someone else finds nothing', async () => {
    const erin = await asUser('erin', ['engineers']);
    const frank = await asUser('frank', ['engineers']);
    const audrey = await asUser('audrey', ['auditors'], 'Audrey Auditor');
    const vend = async (user: NodeJS.ProcessEnv) => {
      const result = await hallpass(['credential-process', 'sandbox-readonly', '--no-cache'], user);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { AccessKeyId: string }).AccessKeyId;
    };
    const [erinKey, frankKey] = [await vend(erin), await vend(frank)];
    const list = async (user: NodeJS.ProcessEnv, args: string[] = []) => {
      const result = await hallpass(['sessions', ...args, '--json'], user);
      expect(result.code, result.stderr).toBe(0);
      return SessionList.parse(JSON.parse(result.stdout)).items;
    };

    // The auditor sees both: there is someone else's session for erin not to see.
    const all = await list(audrey);
    expect(all.map((s) => s.accessKeyId)).toEqual(expect.arrayContaining([erinKey, frankKey]));

    const mine = await list(erin);
    expect(mine.map((s) => s.accessKeyId)).toContain(erinKey);
    expect(mine.map((s) => s.principal.sub)).toEqual(mine.map(() => 'erin'));
    expect(await list(erin, ['--principal', 'frank'])).toEqual([]);
  }, 90_000);

  it.concurrent('reports API errors on stderr with status, code and a hint, never on stdout', async () => {
    const bad = await hallpass(['entitlements'], { ...env, HALLPASS_TOKEN: 'not-a-token' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^hallpass: .+ \(HTTP 401 unauthenticated, request id \S+\)$/m);
    expect(bad.stderr).toContain('hallpass login');
    const down = await hallpass(['entitlements'], { ...env, HALLPASS_URL: 'http://127.0.0.1:9/v1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the hallpass API at http://127.0.0.1:9/v1');
  }, 90_000);

  it('logout forgets the tokens and the cached credentials', async () => {
    const result = await hallpass(['logout'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(() => statSync(tokensFile)).toThrow();
    expect(readdirSync(cacheDir)).toEqual([]);
    const after = await hallpass(['credential-process', 'sandbox-readonly'], env);
    expect(after.code).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toContain("not signed in (profile 'default')");
  });
});
