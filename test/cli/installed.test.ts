/**
 * The CLI as people install it: `npm run pack:cli` (npm pack ./cli, whose prepack bundles it), then
 * `npm install -g` of the tarball into a temp prefix, then the installed `hallpass` run from a
 * directory with no node_modules anywhere above it, against a FAKE SERVER of the contract (health,
 * discovery, GET /v1/entitlements, POST /v1/credentials, as in fake-api.test.ts): the key flows,
 * `setup-aws` with the AWS CLI v2 reading the profile it wrote, `doctor`, `cache clear` and the
 * completion scripts.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_VERSION } from '../../cli/api.ts';
import { EntitlementList, VendResponse } from '../../lib/schemas.ts';
import { AWS_CLI } from '../support/aws-cli.ts';
import { cleanEnv, REPO, type Result } from './support/cli.ts';

const run = promisify(execFile);
const AUDIENCE = 'hallpass-api';

const root = mkdtempSync(join(tmpdir(), 'hallpass-installed-'));
const prefix = join(root, 'prefix');
const home = join(root, 'home');
const work = join(root, 'work');
/** The installed command: npm's bin symlink to the bundle. */
const BIN = join(prefix, 'bin', 'hallpass');

let server: Server;
let base = '';
let origin = '';
let env: NodeJS.ProcessEnv;
let tarball = '';
const vends: unknown[] = [];

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned token: the fake reads its claims (the real API verifies a signature). */
const token = (claims: Record<string, unknown>) =>
  `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: 'alice', exp: 4_102_444_800, ...claims })}.c2ln`;

const ENTITLEMENTS = EntitlementList.parse({
  items: [
    ['sandbox-readonly', 'us-east-1', true],
    ['payments-read', undefined, true],
    ['prod-approver', 'eu-west-1', false],
  ].map(([id, region, canRequest]) => ({
    id,
    description: `${id} access`,
    roleArn: `arn:aws:iam::111111111111:role/hallpass-${id}`,
    issuance: 'assume-role',
    ...(region ? { region } : {}),
    maxDurationSeconds: 3600,
    defaultDurationSeconds: 900,
    approval: { required: false, minApprovals: 0, approverGroups: [], validForSeconds: null, maxUses: null },
    breakGlass: { allowed: false, maxDurationSeconds: null },
    canRequest,
    canApprove: !canRequest,
  })),
});

function vend(body: string, n: number) {
  const { entitlementId } = JSON.parse(body) as { entitlementId: string };
  const id = `s${n}`;
  return VendResponse.parse({
    credentials: {
      accessKeyId: `ASIAFAKE${String(n).padStart(12, '0')}`,
      secretAccessKey: 'fake-secret',
      sessionToken: 'fake-session-token',
      expiration: '2099-01-01T00:00:00Z',
    },
    session: {
      id,
      issuedAt: '2026-11-28T12:00:00Z',
      expiresAt: '2099-01-01T00:00:00Z',
      principal: { sub: 'alice', name: 'Alice Doe', groups: ['engineers'] },
      entitlementId,
      issuance: 'assume-role',
      roleArn: `arn:aws:iam::111111111111:role/hallpass-${entitlementId}`,
      assumedRoleArn: `arn:aws:sts::111111111111:assumed-role/hallpass-${entitlementId}/alice.${id}`,
      sessionName: `alice.${id}`,
      sourceIdentity: 'alice',
      accessKeyId: `ASIAFAKE${String(n).padStart(12, '0')}`,
      durationSeconds: 900,
      sessionPolicy: null,
      policyArns: [],
      tags: { 'hallpass:session-id': id, 'hallpass:principal': 'alice' },
      requestId: null,
      approvers: [],
      breakGlass: null,
      client: { sourceIp: '127.0.0.1', userAgent: 'hallpass-cli/0.1.0' },
    },
  });
}

/** The fake refuses, as the API does, a token whose aud is not the API's audience (one 401, no why). */
function audienceOf(authorization: string | undefined): unknown {
  try {
    const payload = (authorization ?? '').replace(/^Bearer /, '').split('.')[1] ?? '';
    return JSON.parse(Buffer.from(payload, 'base64url').toString()).aud;
  } catch {
    return undefined;
  }
}

function hallpass(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(BIN, args, { env: { ...env, ...extra }, cwd: work }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

beforeAll(async () => {
  for (const dir of [prefix, home, work]) mkdirSync(dir, { recursive: true });
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const send = (status: number, out: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    };
    if (path === '/v1/health') return send(200, { status: 'ok' });
    if (path === '/.well-known/openid-configuration')
      return send(200, {
        issuer: origin,
        token_endpoint: `${origin}/token`,
        device_authorization_endpoint: `${origin}/device`,
      });
    if (audienceOf(req.headers.authorization) !== AUDIENCE)
      return send(401, { error: { code: 'unauthenticated', message: 'the bearer token is not valid' } });
    if (req.method === 'GET' && path === '/v1/entitlements') return send(200, ENTITLEMENTS);
    if (req.method === 'POST' && path === '/v1/credentials') {
      vends.push(JSON.parse(body));
      return send(200, vend(body, vends.length));
    }
    send(404, { error: { code: 'not_found', message: 'no such route' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  base = `${origin}/v1`;

  // npm pack ./cli runs its prepack (the bundle), as `npm run pack:cli` does.
  const packed = await run(
    'npm',
    ['pack', './cli', '--pack-destination', root, '--json', '--loglevel=error'],
    {
      cwd: REPO,
    },
  );
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = join(root, info?.filename ?? '');
  expect(info?.files.map((f) => f.path).sort()).toEqual([
    'dist/THIRD-PARTY-LICENSES.txt',
    'dist/hallpass.mjs',
    'package.json',
  ]);
  await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], {
    cwd: root,
    env: cleanEnv(),
  });

  // A new user's shell: node and the AWS CLI on PATH, nothing of the repository.
  const path = join(root, 'path');
  mkdirSync(path);
  symlinkSync(process.execPath, join(path, 'node'));
  env = cleanEnv({
    PATH: `${join(prefix, 'bin')}:${path}:${dirname(AWS_CLI)}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    HALLPASS_URL: base,
    HALLPASS_TOKEN: token({ aud: AUDIENCE, groups: ['engineers'], iss: origin }),
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

describe('the installed CLI (npm pack ./cli, npm install -g; FAKE SERVER)', () => {
  it('is one bundled file with no dependencies, and nothing named node_modules above where it runs', () => {
    const target = realpathSync(BIN);
    expect(lstatSync(BIN).isSymbolicLink()).toBe(true);
    expect(target).toBe(join(prefix, 'lib', 'node_modules', 'hallpass-cli', 'dist', 'hallpass.mjs'));
    expect(readdirSync(join(prefix, 'lib', 'node_modules', 'hallpass-cli')).sort()).toEqual([
      'dist',
      'package.json',
    ]);
    const manifest = JSON.parse(readFileSync(join(dirname(target), '..', 'package.json'), 'utf8'));
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.bin).toEqual({ hallpass: 'dist/hallpass.mjs' });
    expect(manifest.version).toBe(CLI_VERSION);
    expect(statSync(target).mode & 0o111).not.toBe(0);
    expect(readFileSync(target, 'utf8')).not.toMatch(/from\s*["'](zod|jose|tsx)/);
    for (let dir = work; dir !== dirname(dir); dir = dirname(dir))
      expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('prints its version and help', async () => {
    const version = await hallpass(['--version']);
    expect(version).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    const help = await hallpass(['--help']);
    expect(help.stdout).toMatch(/^ {2}setup-aws +write an AWS CLI profile per entitlement/m);
    expect(help.stdout).toMatch(/^ {2}doctor /m);
  });

  it('lists entitlements and shows who the token says you are', async () => {
    const list = await hallpass(['entitlements', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(EntitlementList.parse(JSON.parse(list.stdout)).items[0]?.region).toBe('us-east-1');
    const whoami = await hallpass(['whoami', '--json']);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ sub: 'alice', groups: ['engineers'] });
  });

  it('prints credential_process JSON, caches it (0600), and cache clear forgets it', async () => {
    const first = await hallpass(['credential-process', 'sandbox-readonly']);
    expect(first.code, first.stderr).toBe(0);
    const credentials = JSON.parse(first.stdout);
    expect(credentials).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIAFAKE/) });
    const cached = join(home, '.config', 'hallpass', 'cache', 'default');
    expect(readdirSync(cached).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(JSON.parse((await hallpass(['credential-process', 'sandbox-readonly'])).stdout)).toEqual(
      credentials,
    );

    const cleared = await hallpass(['cache', 'clear']);
    expect(cleared).toMatchObject({
      code: 0,
      stdout: "Deleted 1 cached credential(s) of profile 'default'.\n",
    });
    expect(readdirSync(cached).filter((f) => f.endsWith('.json'))).toEqual([]);
    const again = JSON.parse((await hallpass(['credential-process', 'sandbox-readonly'])).stdout);
    expect(again.AccessKeyId).not.toBe(credentials.AccessKeyId);
    expect((await hallpass(['cache', 'clean'])).code).toBe(2);
  });

  it("env and exec set AWS_REGION and AWS_DEFAULT_REGION to the entitlement's region; --region overrides it", async () => {
    const exports = await hallpass(['env', 'sandbox-readonly', '--no-cache']);
    expect(exports.code, exports.stderr).toBe(0);
    expect(exports.stdout).toContain('export AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\n');
    const script = 'console.log(JSON.stringify([process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION]))';
    const exec = await hallpass(['exec', 'sandbox-readonly', '--no-cache', '--', 'node', '-e', script]);
    expect(exec.stdout).toBe('["us-east-1","us-east-1"]\n');
    const other = await hallpass([
      'exec',
      'sandbox-readonly',
      '--region',
      'eu-central-1',
      '--',
      'node',
      '-e',
      script,
    ]);
    expect(other.stdout).toBe('["eu-central-1","eu-central-1"]\n');
    // No region in the catalog: none set, the caller's own stays.
    const none = await hallpass(['exec', 'payments-read', '--', 'node', '-e', script], {
      AWS_REGION: 'ap-south-1',
    });
    expect(none.stdout).toBe('["ap-south-1",null]\n');
  });

  it('setup-aws writes a profile per entitlement that the AWS CLI v2 runs through credential_process', async () => {
    const config = join(home, 'aws-config');
    const mine = '[default]\nregion = eu-north-1\n\n[profile hallpass-payments-read]\nregion = us-west-2\n';
    writeFileSync(config, mine);

    const dryRun = await hallpass(['setup-aws', '--dry-run']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(`--- ${config}\n+++ ${config}\n@@ -3,3 +3,9 @@`);
    expect(dryRun.stdout).toContain(`+credential_process = ${BIN} credential-process sandbox-readonly\n`);
    expect(readFileSync(config, 'utf8')).toBe(mine);

    const written = await hallpass(['setup-aws']);
    expect(written.code, written.stderr).toBe(0);
    // The user's own hallpass-payments-read is theirs: skipped, not overwritten.
    expect(written.stderr).toContain('Skipped hallpass-payments-read');
    expect(readFileSync(config, 'utf8')).toBe(
      `${mine}\n# >>> hallpass profile default: written by \`hallpass setup-aws\`; edits between these lines are replaced\n` +
        `[profile hallpass-sandbox-readonly]\ncredential_process = ${BIN} credential-process sandbox-readonly\nregion = us-east-1\n` +
        '# <<< hallpass profile default\n',
    );
    expect((await hallpass(['setup-aws', '--dry-run'])).stdout).toBe(`No change to ${config}.\n`);

    const { AWS_REGION: _, ...awsEnv } = env;
    const exported = await run(
      AWS_CLI,
      ['configure', 'export-credentials', '--profile', 'hallpass-sandbox-readonly', '--format', 'process'],
      { env: awsEnv },
    );
    expect(JSON.parse(exported.stdout)).toMatchObject({
      Version: 1,
      AccessKeyId: expect.stringMatching(/^ASIAFAKE/),
      SecretAccessKey: 'fake-secret',
      SessionToken: 'fake-session-token',
    });
    const region = await run(
      AWS_CLI,
      ['configure', 'get', 'region', '--profile', 'hallpass-sandbox-readonly'],
      {
        env: awsEnv,
      },
    );
    expect(region.stdout.trim()).toBe('us-east-1');

    const removed = await hallpass(['setup-aws', '--remove']);
    expect(removed.stdout).toBe(`Removed hallpass-sandbox-readonly from ${config}.\n`);
    expect(readFileSync(config, 'utf8')).toBe(mine);
  });

  it('doctor passes with a good token and names every check', async () => {
    const result = await hallpass(['doctor'], { HALLPASS_URL: undefined });
    // No profile yet: the API URL is the first failure, with what to run.
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}api +no API URL for profile 'default'$/m);
    expect(result.stdout).toContain('fix: hallpass configure --url <api url>');

    const configured = await hallpass([
      'configure',
      '--url',
      base,
      '--issuer',
      origin,
      '--audience',
      AUDIENCE,
    ]);
    expect(configured.code, configured.stderr).toBe(0);
    const good = await hallpass(['doctor', '--json'], { HALLPASS_URL: undefined });
    expect(good.code, good.stdout).toBe(0);
    const checks = JSON.parse(good.stdout).checks as Array<{ name: string; status: string }>;
    expect(checks.map((c) => `${c.name}:${c.status}`)).toEqual([
      'api:ok',
      'clock:ok',
      'issuer:ok',
      'token:ok',
      'audience:ok',
      'groups:ok',
      'api token:ok',
      'entitlements:ok',
    ]);
  });

  it('doctor catches a wrong audience: the token is refused, and it says what the API expects', async () => {
    const result = await hallpass(['doctor'], {
      HALLPASS_URL: undefined,
      HALLPASS_TOKEN: token({ aud: 'api://wrong-app', groups: ['engineers'], iss: origin }),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL {2}audience +the token's aud is 'api:\/\/wrong-app', but the API expects 'hallpass-api'/m,
    );
    expect(result.stdout).toMatch(/fix: have the issuer put 'hallpass-api' in the access token's aud/);
    expect(result.stdout).toMatch(/^FAIL {2}api token +the API refuses the token/m);
    expect(result.stderr).toBe('hallpass doctor: a check failed (see fix: above).\n');
  });

  it('completion prints a bash script that completes commands and entitlements', async () => {
    const script = await hallpass(['completion', 'bash']);
    expect(script.code).toBe(0);
    const complete = async (words: string[]) => {
      const { stdout } = await run(
        'bash',
        [
          '-c',
          `eval "$(hallpass completion bash)"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _hallpass; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { env },
      );
      return stdout.trim().split('\n');
    };
    expect(await complete(['hallpass', 'setu'])).toEqual(['setup-aws']);
    expect(await complete(['hallpass', 'exec', '--re'])).toEqual(['--region', '--request']);
    expect(await complete(['hallpass', 'exec', 'sand'])).toEqual(['sandbox-readonly']);
    expect(await complete(['hallpass', 'completion', 'f'])).toEqual(['fish']);
    for (const shell of ['zsh', 'fish']) {
      const other = await hallpass(['completion', shell]);
      expect(other.code).toBe(0);
      expect(other.stdout).toContain('setup-aws');
    }
    expect((await hallpass(['completion', 'tcsh'])).code).toBe(2);
  });
});
