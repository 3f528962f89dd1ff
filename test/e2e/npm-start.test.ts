/**
 * The README's commands, exactly as a new user runs them: `npm start` brings the whole stack up and
 * prints the ready line, `npm run token` prints a token alone on stdout, curl-like calls get
 * credentials, the AWS CLI accepts them, Ctrl-C stops everything, and data survives a restart.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite } from '../../local/dynamodb.ts';
import { AWS_CLI } from '../support/aws-cli.ts';
import { waitForReady } from '../support/npm-start.ts';

const run = promisify(execFile);
const stateDir = mkdtempSync(join(tmpdir(), 'hallpass-e2e-'));
// Below the ephemeral range (32768+), where the OS hands out ports for every outgoing connection.
const port = 20000 + Math.floor(Math.random() * 5800); // 26000-31999: the CLI and browser stacks'

// A new user's shell: none of the test run's own settings.
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(AWS_|HALLPASS_)/.test(key)),
);
userEnv.PORT = String(port);
userEnv.HALLPASS_STATE_DIR = stateDir;

interface Stack {
  child: ChildProcess;
  ready: RegExpMatchArray;
  output: () => string;
}

async function npmStart(args: string[] = []): Promise<Stack> {
  const child = spawn('npm', ['start', ...(args.length ? ['--', ...args] : [])], {
    env: userEnv,
    detached: true, // its own process group, so the test can press "Ctrl-C" on it
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { match, output } = await waitForReady(child, 60_000);
  return { child, ready: match, output };
}

async function pressCtrlC(stack: Stack): Promise<void> {
  const exited = new Promise((resolve) => stack.child.on('exit', resolve));
  process.kill(-(stack.child.pid as number), 'SIGINT');
  await exited;
}

const listening = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port: p } = new URL(url);
    const socket = createConnection({ host: hostname, port: Number(p) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const token = async (...args: string[]) =>
  (await run('npm', ['run', '-s', 'token', '--', ...args], { env: userEnv })).stdout;

describe('npm start, as a new user runs it', () => {
  let stack: Stack;
  let api = '';
  let sts = '';
  let vended: { credentials: Record<string, string>; session: Record<string, string> };

  beforeAll(async () => {
    stack = await npmStart(['--fresh']);
    api = stack.ready[1] ?? '';
    sts = stack.ready[2] ?? '';
  }, 90_000);

  afterAll(async () => {
    // Still running (neither exited nor killed by a signal, as the SIGTERM test leaves it).
    if (stack?.child.exitCode === null && stack.child.signalCode === null) await pressCtrlC(stack);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('prints the ready line with every endpoint on 127.0.0.1, the API on PORT, then a guide', () => {
    expect(api).toBe(`http://127.0.0.1:${port}/v1`);
    for (const url of stack.ready.slice(2)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.output()).toContain('npm run -s token -- --sub alice --groups engineers');
  });

  it('refuses two Authorization headers as API Gateway does, joined into one (401)', async () => {
    const jwt = (await token('--sub', 'alice', '--groups', 'engineers')).trim();
    const { hostname, port: apiPort } = new URL(api);
    // fetch would merge them into one line; node:http sends the header twice, as a client can.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const sent = httpRequest(
        {
          host: hostname,
          port: Number(apiPort),
          method: 'GET',
          path: '/v1/entitlements',
          // A raw header list (Node adds no Host to one): the header twice, as a client can send it.
          headers: [
            'host',
            `${hostname}:${apiPort}`,
            'authorization',
            `Bearer ${jwt}`,
            'authorization',
            `Bearer ${jwt}`,
          ],
        },
        (response) => {
          let body = '';
          response.on('data', (chunk) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      sent.on('error', reject);
      sent.end();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error.code).toBe('unauthenticated');
  });

  it('npm run token prints a JWT alone on stdout', async () => {
    const out = await token('--sub', 'alice', '--groups', 'engineers,approvers', '--name', 'Alice Doe');
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it('vends credentials over HTTP with a dev token, and the AWS CLI accepts them at the local STS', async () => {
    const jwt = (await token('--sub', 'alice', '--groups', 'engineers', '--claim', 'team=payments')).trim();
    const response = await fetch(`${api}/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ entitlementId: 'sandbox-readonly' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    vended = (await response.json()) as typeof vended;

    const cliEnv = {
      ...userEnv,
      AWS_ACCESS_KEY_ID: vended.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: vended.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: vended.credentials.sessionToken,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const { stdout } = await run(AWS_CLI, ['sts', 'get-caller-identity', '--endpoint-url', sts], {
      env: cliEnv,
    });
    expect(JSON.parse(stdout).Arn).toBe(
      `arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/${vended.session.sessionName}`,
    );
    const wrong = await run(AWS_CLI, ['sts', 'get-caller-identity', '--endpoint-url', sts], {
      env: { ...cliEnv, AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) },
    }).catch((error: { stderr: string }) => error);
    expect((wrong as { stderr: string }).stderr).toContain('SignatureDoesNotMatch');
  });

  it('gives a working day in the AWS console: an 8 h web-identity session, whose sign-in link names the role', async () => {
    const jwt = (await token('--sub', 'alice', '--groups', 'engineers')).trim();
    const response = await fetch(`${api}/console`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ entitlementId: 'sandbox-poweruser', durationSeconds: 28800 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const answer = (await response.json()) as {
      url: string;
      expiresAt: string;
      session: Record<string, string>;
    };
    expect(answer.session.issuance).toBe('web-identity');
    expect(Date.parse(answer.expiresAt) - Date.parse(answer.session.issuedAt as string)).toBeGreaterThan(
      28_700_000,
    );
    const page = await fetch(answer.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(answer.session.assumedRoleArn);
    // The sign-in link is a secret: npm start's output never shows it.
    const signinToken = new URL(answer.url).searchParams.get('SigninToken') as string;
    expect(stack.output()).not.toContain(signinToken);
  });

  it('says a stack is already running in this checkout, with its PID and URL, to a second npm start', async () => {
    const failure = await run('npm', ['start'], { env: userEnv }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((failure as { code: number }).code).not.toBe(0);
    const stderr = (failure as { stderr: string }).stderr;
    expect(stderr).toContain('a stack is already running in this checkout');
    expect(stderr).toContain(api);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(await listening(api)).toBe(true);
  });

  it('refuses an expired dev token with 401 and a JSON error', async () => {
    const jwt = (await token('--sub', 'alice', '--groups', 'engineers', '--expires-in', '-120')).trim();
    const response = await fetch(`${api}/entitlements`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });

  it('follows the README walkthrough: alice requests, bob approves, alice vends once', async () => {
    const alice = (await token('--sub', 'alice', '--groups', 'engineers', '--name', 'Alice Doe')).trim();
    const bob = (await token('--sub', 'bob', '--groups', 'approvers', '--name', 'Bob Roe')).trim();
    const post = (path: string, jwt: string, body: unknown) =>
      fetch(`${api}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post('/requests', alice, {
      entitlementId: 'prod-admin',
      justification: 'Deploy the payments hotfix',
      ticket: 'CHG-1234',
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const pending = await fetch(`${api}/requests?view=approvable&status=pending`, {
      headers: { authorization: `Bearer ${bob}` },
    });
    expect(((await pending.json()) as { items: Array<{ id: string }> }).items.map((r) => r.id)).toContain(id);
    expect((await post(`/requests/${id}/approve`, alice, {})).status).toBe(403);
    const approved = await post(`/requests/${id}/approve`, bob, { comment: 'ok' });
    expect(((await approved.json()) as { status: string }).status).toBe('approved');
    const first = await post('/credentials', alice, { entitlementId: 'prod-admin', requestId: id });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { session: { requestId: string } }).session.requestId).toBe(id);
    expect((await post('/credentials', alice, { entitlementId: 'prod-admin', requestId: id })).status).toBe(
      409,
    );
  });

  it('answers unknown routes with the API JSON 404', async () => {
    const response = await fetch(`${api}/nothing-here`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('serves health and the OpenAPI document without a token', async () => {
    expect(await (await fetch(`${api}/health`)).json()).toEqual({ status: 'ok' });
    expect(((await (await fetch(`${api}/openapi.json`)).json()) as { openapi: string }).openapi).toBe(
      '3.1.0',
    );
  });

  it('stops every process it started on Ctrl-C, and keeps the audit trail for the next start', async () => {
    const urls = [api, ...stack.ready.slice(2, 5)] as string[];
    await pressCtrlC(stack);
    for (const url of urls) expect(await listening(url)).toBe(false);

    stack = await npmStart();
    const dynamodb = stack.ready[3] as string;
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: 'hallpass-local-audit',
        Key: { pk: { S: `session#${vended.credentials.accessKeyId}` } },
      }),
    );
    client.destroy();
    expect(Item?.sessionId?.S).toBe(vended.session.id);
  }, 90_000);

  it('stops every process it started on SIGTERM to npm alone (an IDE stop button)', async () => {
    const urls = [stack.ready[1], ...stack.ready.slice(2, 5)] as string[];
    const exited = new Promise((resolve) => stack.child.on('exit', resolve));
    process.kill(stack.child.pid as number, 'SIGTERM');
    await exited;
    // npm returns once its script has; the script's own children may take a moment more.
    for (let i = 0; i < 20 && (await Promise.all(urls.map(listening))).some(Boolean); i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const url of urls) expect(await listening(url)).toBe(false);
  }, 30_000);
});

describe('npm start, configured', () => {
  it('refuses to start with a bad catalog, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-bad-catalog-'));
    const file = join(dir, 'catalog.yaml');
    writeFileSync(
      file,
      'entitlements:\n  - id: broken\n    roleArn: arn:aws:iam::1:role/x\n    requesterGroups: [a]\n    maxDurationSeconds: 3600\n    defaultDurationSeconds: 900\n    approval: {required: false}\n',
    );
    const failure = await run('npm', ['start'], {
      env: { ...userEnv, HALLPASS_CATALOG: file, HALLPASS_STATE_DIR: dir },
    }).catch((error: { code: number; stderr: string }) => error);
    rmSync(dir, { recursive: true, force: true });
    expect((failure as { code: number }).code).not.toBe(0);
    expect((failure as { stderr: string }).stderr).toContain('entitlements[0] (broken).roleArn');
  });

  it('uses the DynamoDB of AWS_ENDPOINT_URL_DYNAMODB instead of its own, creating the tables there', async () => {
    const external = await startDynalite({ port: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-external-'));
    const child = spawn('npm', ['start'], {
      env: {
        ...userEnv,
        PORT: String(port + 100),
        HALLPASS_STATE_DIR: dir,
        AWS_ENDPOINT_URL_DYNAMODB: external.url,
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const { match } = await waitForReady(child, 60_000);
      expect(match[3]).toBe(external.url);
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: external.url,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const { TableNames } = await client.send(new ListTablesCommand({}));
      client.destroy();
      expect(TableNames).toEqual(['hallpass-local-audit', 'hallpass-local-requests', 'hallpass-local-slack']);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      process.kill(-(child.pid as number), 'SIGINT');
      await exited;
      await external.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
