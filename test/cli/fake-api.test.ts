/**
 * FAKE SERVER. `hallpass sessions`, `review`, `console` and the credential commands' durations
 * against a small fake of the contract in docs/api.md (`GET /v1/sessions`, `GET /v1/sessions/{id}`,
 * `POST /v1/sessions/{id}/review`, `POST /v1/console`, `POST /v1/credentials`), not against the
 * real API: these routes were not served when the CLI was written. The fake
 * records what the CLI sent and answers with bodies that pass the API's own zod schemas, so these
 * tests pin the CLI to the contract, not to an implementation. The CLI runs as a subprocess.
 */

import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/app.ts';
import type { Io } from '../../cli/context.ts';
import { ConsoleResponse, RequestList, Session, SessionList, VendResponse } from '../../lib/schemas.ts';
import type { z } from '../../lib/zod.ts';
import { cleanEnv, hallpass } from './support/cli.ts';

type SessionRecord = z.infer<typeof Session>;

const session = (id: string, overrides: Partial<SessionRecord> = {}): SessionRecord =>
  Session.parse({
    id,
    issuedAt: '2026-11-28T12:00:00Z',
    expiresAt: '2026-11-28T12:15:00Z',
    principal: { sub: 'carol', name: 'Carol Poe', groups: ['oncall'] },
    entitlementId: 'prod-admin',
    issuance: 'assume-role',
    roleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin',
    assumedRoleArn: `arn:aws:sts::222222222222:assumed-role/hallpass-prod-admin/carol.${id}`,
    sessionName: `carol.${id}`,
    sourceIdentity: 'carol',
    accessKeyId: `ASIA${id.toUpperCase().padEnd(16, 'X')}`,
    durationSeconds: 900,
    sessionPolicy: null,
    policyArns: [],
    tags: { 'hallpass:session-id': id, 'hallpass:principal': 'carol', 'hallpass:break-glass': 'true' },
    requestId: null,
    approvers: [],
    breakGlass: {
      justification: 'INC-1234: payments API is down',
      review: { status: 'pending', reviewer: null, at: null, comment: null },
    },
    client: { sourceIp: '203.0.113.7', userAgent: 'hallpass-cli/0.1.0' },
    ...overrides,
  });

const PAGE = SessionList.parse({
  items: [
    session('s2bg'),
    session('s1direct', {
      principal: { sub: 'alice', name: 'Alice Doe', groups: ['engineers'] },
      entitlementId: 'sandbox-readonly',
      breakGlass: null,
      requestId: null,
    }),
  ],
  nextCursor: 'next-page-cursor',
});

interface Recorded {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base = '';
let recorded: Recorded[] = [];
let env: NodeJS.ProcessEnv;
const configDir = mkdtempSync(join(tmpdir(), 'hallpass-cli-fake-'));

const error = (status: number, code: string, message: string) => ({
  status,
  body: { error: { code, message, requestId: `req-${status}` } },
});

/** A sign-in URL as AWS's federation endpoint builds it; the token is what must never be stored. */
const SIGNIN_TOKEN = 'SigninTokenSecretOnlyInTheUrl-0123456789abcdef';
const SIGNIN_URL = `https://signin.aws.amazon.com/federation?Action=login&Issuer=https%3A%2F%2Fhallpass.example.com&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2Fhome&SigninToken=${SIGNIN_TOKEN}`;

const webSession = (id: string, durationSeconds: number) =>
  session(id, {
    principal: { sub: 'alice', name: 'Alice Doe', groups: ['engineers'] },
    entitlementId: 'payments-read',
    issuance: 'web-identity',
    durationSeconds,
    expiresAt: new Date(Date.parse('2026-11-28T12:00:00Z') + durationSeconds * 1000)
      .toISOString()
      .replace('.000Z', 'Z'),
    breakGlass: null,
  });

/** The caller's approved requests: one for prod-admin with a use left. */
const APPROVED = RequestList.parse({
  items: [
    {
      id: 'r-approved',
      entitlementId: 'prod-admin',
      requester: { sub: 'alice', name: 'Alice Doe' },
      justification: 'CHG-42: rotate the payments database credentials',
      ticket: null,
      durationSeconds: 3600,
      status: 'approved',
      approvals: [{ approver: { sub: 'bob', name: 'Bob Roe' }, at: '2026-11-28T11:00:00Z', comment: null }],
      minApprovals: 1,
      denial: null,
      createdAt: '2026-11-28T10:00:00Z',
      expiresAt: '2099-01-01T00:00:00Z',
      usesRemaining: 1,
    },
  ],
  nextCursor: null,
});

/** POST /v1/console and /v1/credentials: a session of the duration asked for (default 1 h). */
function vendAnswer(path: string, body: string): { status: number; body: unknown } {
  const asked = JSON.parse(body) as { entitlementId: string; durationSeconds?: number; requestId?: string };
  if (asked.entitlementId === 'forbidden') return error(403, 'forbidden', "you may not request 'forbidden'");
  if (asked.entitlementId === 'prod-admin' && asked.requestId === undefined)
    return error(403, 'approval_required', "'prod-admin' needs an approved request");
  const issued = webSession('sc1', asked.durationSeconds ?? 3600);
  if (path === '/v1/console') {
    return {
      status: 200,
      body: ConsoleResponse.parse({ url: SIGNIN_URL, expiresAt: '2026-11-28T12:15:00Z', session: issued }),
    };
  }
  return {
    status: 200,
    body: VendResponse.parse({
      credentials: {
        accessKeyId: 'ASIAFAKE0000000LONG1',
        secretAccessKey: 'secret',
        sessionToken: 'token',
        expiration: issued.expiresAt,
      },
      session: issued,
    }),
  };
}

/** The fake's answers, by method and path: the contract's statuses and bodies. */
function answer(method: string, path: string, body: string): { status: number; body: unknown } {
  if (method === 'POST' && (path === '/v1/console' || path === '/v1/credentials'))
    return vendAnswer(path, body);
  if (method === 'GET' && path === '/v1/requests') return { status: 200, body: APPROVED };
  if (method === 'GET' && path === '/v1/sessions') return { status: 200, body: PAGE };
  if (method === 'GET' && path === '/v1/sessions/s2bg') return { status: 200, body: PAGE.items[0] };
  if (method === 'GET' && path === '/v1/sessions/broken') return { status: 200, body: { id: 'broken' } };
  const review = /^\/v1\/sessions\/([^/]+)\/review$/.exec(path);
  if (method === 'POST' && review) {
    if (review[1] === 'own') return error(403, 'forbidden', 'auditors may not review their own sessions');
    if (review[1] === 'done') return error(409, 'conflict', 'the session was already reviewed');
    if (review[1] !== 's2bg') return error(404, 'not_found', 'no such session');
    const { status, comment } = JSON.parse(body) as { status: 'justified' | 'unjustified'; comment: string };
    const base = PAGE.items[0] as SessionRecord;
    return {
      status: 200,
      body: session('s2bg', {
        breakGlass: {
          justification: base.breakGlass?.justification as string,
          review: {
            status,
            comment,
            reviewer: { sub: 'dana', name: 'Dana Auditor' },
            at: '2026-11-28T13:00:00Z',
          },
        },
      }),
    };
  }
  return error(404, 'not_found', 'no such route');
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://fake');
    recorded.push({ method: req.method ?? '', url, headers: req.headers, body });
    const { status, body: out } = answer(req.method ?? '', url.pathname, body);
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req-${recorded.length}` });
    res.end(JSON.stringify(out));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
  env = cleanEnv({ HALLPASS_URL: base, HALLPASS_TOKEN: 'fake.bearer.token', HALLPASS_CONFIG_DIR: configDir });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(configDir, { recursive: true, force: true });
});

beforeEach(() => {
  recorded = [];
});

describe('hallpass sessions (FAKE SERVER)', () => {
  it('sends every filter as the query API.md names, with the bearer token, and prints a table', async () => {
    const result = await hallpass(
      [
        'sessions',
        '--principal',
        'alice',
        '--entitlement',
        'prod-admin',
        '--role',
        'arn:aws:iam::222222222222:role/hallpass-prod-admin',
        '--access-key',
        'ASIAEXAMPLE0000000001',
        '--request',
        'r-1',
        '--break-glass',
        '--from',
        '2026-11-01T00:00:00Z',
        '--to',
        '2026-11-28T12:30:00+01:00',
        '--limit',
        '10',
        '--cursor',
        'c-1',
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(recorded).toHaveLength(1);
    const [call] = recorded as [Recorded];
    expect(call.method).toBe('GET');
    expect(call.url.pathname).toBe('/v1/sessions');
    expect(Object.fromEntries(call.url.searchParams)).toEqual({
      principal: 'alice',
      entitlementId: 'prod-admin',
      roleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin',
      accessKeyId: 'ASIAEXAMPLE0000000001',
      requestId: 'r-1',
      breakGlass: 'true',
      from: '2026-11-01T00:00:00Z',
      to: '2026-11-28T11:30:00Z',
      limit: '10',
      cursor: 'c-1',
    });
    expect(call.headers.authorization).toBe('Bearer fake.bearer.token');
    expect(call.headers['user-agent']).toMatch(/^hallpass-cli\//);

    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^SESSION\s+ISSUED\s+PRINCIPAL\s+ENTITLEMENT\s+ACCESS KEY\s+DURATION\s+EXPIRES\s+VIA$/,
    );
    expect(lines[1]).toMatch(
      /^s2bg\s+2026-11-28 12:00Z\s+carol\s+prod-admin\s+ASIAS2BG\S+\s+15m\s+.+break glass \(pending\)$/,
    );
    expect(lines[2]).toMatch(
      /^s1direct\s+2026-11-28 12:00Z\s+alice\s+sandbox-readonly\s+\S+\s+15m\s+.+direct$/,
    );
    expect(result.stdout).not.toContain('\x1b[');
    expect(result.stderr).toContain('--cursor next-page-cursor');
  });

  it('sends no filter it was not given; an age such as 24h becomes an RFC 3339 time', async () => {
    const before = Date.now();
    const result = await hallpass(['sessions', '--from', '24h'], env);
    expect(result.code, result.stderr).toBe(0);
    const params = Object.fromEntries((recorded[0] as Recorded).url.searchParams);
    expect(Object.keys(params)).toEqual(['from']);
    expect(params.from).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(params.from as string) - (before - 86_400_000))).toBeLessThan(60_000);
  });

  it('colours the table on a terminal (FORCE_COLOR stands in for one)', async () => {
    const colour = await hallpass(['sessions'], { ...env, FORCE_COLOR: '1' });
    expect(colour.stdout).toContain('\x1b[1mSESSION\x1b[0m');
    expect(colour.stdout).toContain('\x1b[31mbreak glass\x1b[0m (\x1b[33mpending\x1b[0m)');
  });

  it('--json prints the page as the API sent it, for scripts', async () => {
    const result = await hallpass(['sessions', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(SessionList.parse(JSON.parse(result.stdout))).toEqual(PAGE);
  });

  it('with an id, shows one session (GET /v1/sessions/{id})', async () => {
    const result = await hallpass(['sessions', 's2bg'], env);
    expect(result.code, result.stderr).toBe(0);
    expect((recorded[0] as Recorded).url.pathname).toBe('/v1/sessions/s2bg');
    expect(result.stdout).toMatch(/^session:\s+s2bg$/m);
    expect(result.stdout).toMatch(/^justification:\s+INC-1234: payments API is down$/m);
    expect(result.stdout).toMatch(/^review:\s+pending$/m);
  });

  it('refuses a bad --from or --limit before calling the API', async () => {
    const from = await hallpass(['sessions', '--from', 'yesterday'], env);
    expect(from.code).toBe(2);
    expect(from.stderr).toContain('--from must be an RFC 3339 time');
    const limit = await hallpass(['sessions', '--limit', '500'], env);
    expect(limit.code).toBe(2);
    expect(recorded).toEqual([]);
  });

  it('fails with exit 1 and nothing on stdout when a response breaks the contract', async () => {
    const result = await hallpass(['sessions', 'broken', '--json'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unexpected response from GET /sessions/broken');
  });
});

describe('hallpass review (FAKE SERVER)', () => {
  it('POSTs {status, comment} as JSON and prints the review', async () => {
    const result = await hallpass(
      ['review', 's2bg', '--unjustified', '--comment', 'No incident was open at that time'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const [call] = recorded as [Recorded];
    expect(call.method).toBe('POST');
    expect(call.url.pathname).toBe('/v1/sessions/s2bg/review');
    expect(call.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call.body)).toEqual({
      status: 'unjustified',
      comment: 'No incident was open at that time',
    });
    expect(result.stdout).toBe('Session s2bg (carol, prod-admin): unjustified.\n');

    const json = await hallpass(
      ['review', 's2bg', '--justified', '--comment', 'INC-1234 was open', '--json'],
      env,
    );
    expect(Session.parse(JSON.parse(json.stdout)).breakGlass?.review).toMatchObject({
      status: 'justified',
      comment: 'INC-1234 was open',
      reviewer: { sub: 'dana' },
    });
  });

  it('needs exactly one verdict and a comment, checked before calling the API', async () => {
    for (const args of [
      ['review', 's2bg', '--comment', 'x'],
      ['review', 's2bg', '--justified', '--unjustified', '--comment', 'x'],
      ['review', 's2bg', '--justified'],
      ['review', 's2bg', '--justified', '--comment', 'x'.repeat(1001)],
      ['review', '--justified', '--comment', 'x'],
    ]) {
      const result = await hallpass(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
    }
    expect(recorded).toEqual([]);
  });

  it("reports the API's refusals with status, code, message and request id", async () => {
    const own = await hallpass(['review', 'own', '--justified', '--comment', 'fine'], env);
    expect(own.code).toBe(1);
    expect(own.stdout).toBe('');
    expect(own.stderr).toBe(
      'hallpass: auditors may not review their own sessions (HTTP 403 forbidden, request id req-403)\n',
    );
    const done = await hallpass(['review', 'done', '--justified', '--comment', 'fine'], env);
    expect(done.stderr).toContain('(HTTP 409 conflict, request id req-409)');
    const missing = await hallpass(['review', 'nope', '--justified', '--comment', 'fine'], env);
    expect(missing.stderr).toContain('(HTTP 404 not_found, request id req-404)');
  });
});

/** Every file under `dir`, with its contents. */
function filesUnder(dir: string): Array<[string, string]> {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return [path, readFileSync(path, 'utf8')] as [string, string];
    });
}

describe('hallpass console (FAKE SERVER)', () => {
  it('POSTs the vend body with the destination, and --print prints the link alone on stdout', async () => {
    const result = await hallpass(
      [
        'console',
        'payments-read',
        '--duration',
        '8h',
        '--destination',
        'https://console.aws.amazon.com/s3/home',
        '--print',
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const [call] = recorded as [Recorded];
    expect(call.method).toBe('POST');
    expect(call.url.pathname).toBe('/v1/console');
    expect(call.headers.authorization).toBe('Bearer fake.bearer.token');
    expect(JSON.parse(call.body)).toEqual({
      entitlementId: 'payments-read',
      durationSeconds: 28800,
      destination: 'https://console.aws.amazon.com/s3/home',
    });
    expect(result.stdout).toBe(`${SIGNIN_URL}\n`);
    expect(result.stderr).toContain('Console session sc1 on payments-read');
    expect(result.stderr).toContain('expires 2026-11-28 20:00Z');
    expect(result.stderr).toContain('The sign-in link works until 2026-11-28 12:15Z');
  });

  it('sends only the entitlement when nothing else is given, and --request as requestId', async () => {
    await hallpass(['console', 'payments-read', '--print'], env);
    await hallpass(['console', 'payments-read', '--request', 'r-7', '--print'], env);
    expect(recorded.map((call) => JSON.parse(call.body))).toEqual([
      { entitlementId: 'payments-read' },
      { entitlementId: 'payments-read', requestId: 'r-7' },
    ]);
  });

  it('uses your approved request when the entitlement needs approval and none is named', async () => {
    const result = await hallpass(['console', 'prod-admin', '--print'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(recorded.map((call) => `${call.method} ${call.url.pathname} ${call.body}`)).toEqual([
      'POST /v1/console {"entitlementId":"prod-admin"}',
      'GET /v1/requests ',
      'POST /v1/console {"entitlementId":"prod-admin","requestId":"r-approved"}',
    ]);
    expect(result.stdout).toBe(`${SIGNIN_URL}\n`);
  });

  it('hands the link to the opener, and prints it nowhere', async () => {
    const opened: string[] = [];
    let out = '';
    let err = '';
    const io: Io = {
      env,
      output: { color: false, out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) },
      stdin: process.stdin,
      now: Date.now,
      sleep: async () => {},
      open: async (url) => {
        opened.push(url);
        return true;
      },
    };
    expect(await run(['console', 'payments-read'], io)).toBe(0);
    expect(opened).toEqual([SIGNIN_URL]);
    expect(out).toBe('');
    expect(err).not.toContain(SIGNIN_TOKEN);
    expect(err).toContain('Opened the sign-in link in your browser.');
  });

  it('prints the link when no browser can be opened (no xdg-open on PATH)', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'hallpass-cli-bin-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const result = await hallpass(['console', 'payments-read'], { ...env, PATH: bin });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${SIGNIN_URL}\n`);
      expect(result.stderr).toContain('Could not open a browser');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform === 'linux')('opens the link with xdg-open, as one argument', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'hallpass-cli-bin-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      // A stand-in browser: records its arguments, one per line, where the test can read them.
      writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/opened"\n`);
      chmodSync(join(bin, 'xdg-open'), 0o755);
      const result = await hallpass(['console', 'payments-read'], { ...env, PATH: bin });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('');
      expect(readFileSync(join(bin, 'opened'), 'utf8')).toBe(`${SIGNIN_URL}\n`);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('--json prints the whole answer for scripts, and opens nothing', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'hallpass-cli-bin-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const result = await hallpass(['console', 'payments-read', '--json'], { ...env, PATH: bin });
      expect(result.code, result.stderr).toBe(0);
      expect(ConsoleResponse.parse(JSON.parse(result.stdout)).url).toBe(SIGNIN_URL);
      expect(result.stderr).not.toMatch(/Opened|Could not open/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("shows the API's refusal (a 403's JSON error) and prints no link", async () => {
    const result = await hallpass(['console', 'forbidden', '--print'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "hallpass: you may not request 'forbidden' (HTTP 403 forbidden, request id req-403)\n",
    );
  });

  it('refuses a duration over 12 h or a destination over 2048 characters before calling the API', async () => {
    const long = await hallpass(['console', 'payments-read', '--duration', '13h', '--print'], env);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('--duration');
    const far = await hallpass(
      ['console', 'payments-read', '--destination', `https://console.aws.amazon.com/${'x'.repeat(2048)}`],
      env,
    );
    expect(far.code).toBe(2);
    expect(far.stderr).toContain('--destination');
    expect(recorded).toEqual([]);
  });

  it("never writes the link to the CLI's config or cache directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-cli-console-'));
    try {
      // A token with a sub (unsigned: the fake does not verify it), so that credentials are cached.
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = `${part({ alg: 'none' })}.${part({ sub: 'alice', exp: 4_102_444_800 })}.sig`;
      const own = { ...env, HALLPASS_CONFIG_DIR: dir, HALLPASS_TOKEN: token };
      // Credentials are cached: the scan below does see what the CLI writes.
      expect((await hallpass(['credential-process', 'payments-read'], own)).code).toBe(0);
      expect((await hallpass(['console', 'payments-read', '--print'], own)).code).toBe(0);
      expect((await hallpass(['console', 'payments-read', '--json'], own)).code).toBe(0);
      const files = filesUnder(dir);
      expect(files.map(([path]) => path).some((path) => path.includes(join('cache', 'default')))).toBe(true);
      for (const [path, text] of files) expect(text, path).not.toContain(SIGNIN_TOKEN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('long sessions (FAKE SERVER): the CLI leaves the maximum to the entitlement', () => {
  it.each([
    [['credential-process', 'payments-read', '--duration', '12h', '--no-cache'], 43200],
    [['env', 'payments-read', '--duration', '8h', '--no-cache'], 28800],
    [['exec', 'payments-read', '--duration', '36000', '--no-cache', '--', process.execPath, '-e', ''], 36000],
  ])('%j asks for %i seconds', async (args, seconds) => {
    const result = await hallpass(args, env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse((recorded[0] as Recorded).body)).toEqual({
      entitlementId: 'payments-read',
      durationSeconds: seconds,
    });
  });

  it("prints the long session's expiry as the API gave it", async () => {
    const result = await hallpass(
      ['credential-process', 'payments-read', '--duration', '12h', '--no-cache'],
      env,
    );
    expect(JSON.parse(result.stdout).Expiration).toBe('2026-11-29T00:00:00Z');
  });

  it("refuses more than STS's 12 h before calling the API", async () => {
    const result = await hallpass(['env', 'payments-read', '--duration', '12h1s'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--duration');
    expect(recorded).toEqual([]);
  });
});
