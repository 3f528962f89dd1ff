/**
 * The CLI's pure parts and its file, lock, token and device-flow logic, in process (fake OAuth
 * endpoints on 127.0.0.1 where a server is needed). The real thing end to end is e2e.test.ts.
 */
import { type ChildProcess, execFileSync, type spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkBody } from '../../cli/api.ts';
import { run } from '../../cli/app.ts';
import { parseDuration, parseLimit, parseTime } from '../../cli/args.ts';
import { TokenSource } from '../../cli/auth.ts';
import { OPENER_GRACE_MS, openable, openCommand, systemOpener } from '../../cli/browser.ts';
import { loadSettings, profileName } from '../../cli/config.ts';
import type { Io } from '../../cli/context.ts';
import { credentialProcessJson, isFresh, shellQuote } from '../../cli/credentials.ts';
import { UsageError } from '../../cli/errors.ts';
import { configDir, withLock, writePrivateFile } from '../../cli/files.ts';
import {
  type Discovery,
  discover,
  pollDeviceToken,
  type StoredTokens,
  saveTokens,
  toStored,
} from '../../cli/oidc.ts';
import { formatDuration, printable, relative, table } from '../../cli/output.ts';
import { CreateRequestBody } from '../../lib/schemas.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-cli-unit-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fake OAuth token endpoint that answers from a queue, counting calls. */
async function fakeTokenEndpoint(answers: Array<{ status: number; body: unknown; delayMs?: number }>) {
  const calls: URLSearchParams[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    calls.push(new URLSearchParams(body));
    const next = answers.shift() ?? { status: 400, body: { error: 'invalid_grant' } };
    if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    res.writeHead(next.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/token`;
  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const jwt = (claims: Record<string, unknown>, expiresIn = 900) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
    .sign(new TextEncoder().encode('not-a-real-key-only-for-decoding-tests'));

function captureIo(env: NodeJS.ProcessEnv = {}): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    output: {
      color: false,
      out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
      err: (t) => (err += `${t}\n`),
    },
    stdin: process.stdin,
    now: Date.now,
    sleep: async () => {},
    stdout: () => out,
    stderr: () => err,
  };
}

describe('argument parsing', () => {
  it('reads durations as seconds', () => {
    expect(parseDuration('900')).toBe(900);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('2d')).toBe(172_800);
    // No cap of the CLI's own: the entitlement's maximum is the API's to enforce.
    expect(parseDuration('8h')).toBe(28_800);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('12h')).toBe(43_200);
    for (const bad of ['', '1x', 'h', '1h 30m', '-5m', '1.5h'])
      expect(() => parseDuration(bad)).toThrow(UsageError);
  });

  it('reads times as RFC 3339 UTC, or an age as that long ago', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(parseTime('2026-11-28T13:00:00+01:00', '--from', now)).toBe('2026-11-28T12:00:00Z');
    expect(parseTime('24h', '--from', now)).toBe('2026-11-27T12:00:00Z');
    expect(() => parseTime('yesterday', '--from', now)).toThrow('--from must be an RFC 3339 time');
    expect(parseLimit('100')).toBe(100);
    expect(() => parseLimit('0')).toThrow(UsageError);
  });

  it('names the flag, not the API field, when a body fails the API schema', () => {
    expect(() =>
      checkBody(
        CreateRequestBody,
        { entitlementId: 'prod-admin', justification: 'short' },
        { justification: '--reason' },
      ),
    ).toThrow(/^--reason: Too small: expected string to have >=10 characters/);
  });

  it('refuses profile names that are not plain file names', () => {
    expect(profileName('prod', {})).toBe('prod');
    expect(profileName(undefined, { HALLPASS_PROFILE: 'staging' })).toBe('staging');
    for (const bad of ['../x', '.hidden', 'a/b', '']) expect(() => profileName(bad, {})).toThrow(UsageError);
  });
});

describe('output', () => {
  it('formats durations, relative times and aligned tables', () => {
    expect(formatDuration(900)).toBe('15m');
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(45)).toBe('45s');
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(relative('2026-11-28T12:15:00Z', now)).toBe('in 15m');
    expect(relative('2026-11-28T09:00:00Z', now)).toBe('3h ago');
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['xyz', '1'],
          ['x', '22'],
        ],
        { color: false },
      ),
    ).toBe('A    LONGER\nxyz  1\nx    22');
  });

  it('never lets API data drive the terminal: control characters and escapes are replaced', () => {
    const hostile = 'ok\x1b]52;c;cm0gLXJm\x07 \x1b[2J\rfake\x1b[31mred\x1b[0m\tend\n';
    expect(printable(hostile, false)).toBe(
      'ok\ufffd]52;c;cm0gLXJm\ufffd \ufffd[2J\ufffdfake\ufffd[31mred\ufffd[0m\tend\n',
    );
    // With colour on, colour codes pass; other sequences still do not.
    expect(printable(hostile, true)).toBe(
      'ok\ufffd]52;c;cm0gLXJm\ufffd \ufffd[2J\ufffdfake\x1b[31mred\x1b[0m\tend\n',
    );
  });

  it('quotes values for a POSIX shell so that eval gives them back unchanged', () => {
    for (const value of ['plain', "it's", 'a b$c`d"e\\f', 'x+y/z=']) {
      expect(execFileSync('bash', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' })).toBe(
        value,
      );
    }
  });

  it('prints the credential_process document of the AWS CLI (Version 1)', () => {
    expect(
      credentialProcessJson({
        accessKeyId: 'ASIA1',
        secretAccessKey: 's',
        sessionToken: 't',
        expiration: '2026-11-28T12:15:00Z',
        entitlementId: 'e',
        sessionId: 'x',
        requestId: null,
        fromCache: true,
      }),
    ).toEqual({
      Version: 1,
      AccessKeyId: 'ASIA1',
      SecretAccessKey: 's',
      SessionToken: 't',
      Expiration: '2026-11-28T12:15:00Z',
    });
  });

  it('reuses cached credentials until five minutes before they expire', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(isFresh('2026-11-28T12:05:01Z', now)).toBe(true);
    expect(isFresh('2026-11-28T12:05:00Z', now)).toBe(false);
    expect(isFresh('2026-11-28T11:59:00Z', now)).toBe(false);
  });
});

describe('files', () => {
  it('uses HALLPASS_CONFIG_DIR, else XDG_CONFIG_HOME/hallpass', () => {
    expect(configDir({ HALLPASS_CONFIG_DIR: '/x/hp', XDG_CONFIG_HOME: '/y' })).toBe('/x/hp');
    expect(configDir({ XDG_CONFIG_HOME: '/y' })).toBe('/y/hallpass');
  });

  it('writes private files (0600) in private directories (0700), whole', () => {
    const dir = tempDir();
    const file = join(dir, 'a', 'b', 'secret.json');
    writePrivateFile(file, '{"one":1}');
    writePrivateFile(file, '{"two":2}');
    expect(readFileSync(file, 'utf8')).toBe('{"two":2}');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);
  });

  it('runs work under a lock one at a time', async () => {
    const file = join(tempDir(), 'thing');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withLock(file, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});

describe('tokens', () => {
  const stored = async (tokenEndpoint: string, expiresIn: number): Promise<StoredTokens> => ({
    issuer: 'http://issuer',
    clientId: 'hallpass-cli',
    tokenEndpoint,
    accessToken: await jwt({ sub: 'alice', groups: ['engineers'] }, expiresIn),
    refreshToken: 'rt-1',
    expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
  });

  it('HALLPASS_TOKEN wins over the stored tokens', async () => {
    const dir = tempDir();
    const settings = loadSettings(undefined, { HALLPASS_CONFIG_DIR: dir });
    saveTokens(settings, await stored('http://127.0.0.1:9/token', 900));
    const override = await jwt({ sub: 'ci-bot' });
    const source = new TokenSource(settings, { HALLPASS_TOKEN: override });
    expect(await source.get()).toBe(override);
    expect(source.identity()?.sub).toBe('ci-bot');
    expect(source.identity()?.source).toBe('HALLPASS_TOKEN');
  });

  it('refreshes an expiring token once, even when several processes ask at the same time', async () => {
    const dir = tempDir();
    const fresh = await jwt({ sub: 'alice', groups: ['engineers'] }, 900);
    const endpoint = await fakeTokenEndpoint([
      { status: 200, body: { access_token: fresh, refresh_token: 'rt-2', expires_in: 900 }, delayMs: 100 },
    ]);
    try {
      const env = { HALLPASS_CONFIG_DIR: dir };
      const settings = loadSettings(undefined, env);
      saveTokens(settings, await stored(endpoint.url, 30)); // within the refresh margin
      // Separate TokenSources, as separate credential_process invocations would have.
      const tokens = await Promise.all([1, 2, 3].map(() => new TokenSource(settings, env).get()));
      expect(tokens).toEqual([fresh, fresh, fresh]);
      expect(endpoint.calls).toHaveLength(1);
      expect(Object.fromEntries(endpoint.calls[0] as URLSearchParams)).toEqual({
        grant_type: 'refresh_token',
        refresh_token: 'rt-1',
        client_id: 'hallpass-cli',
      });
      const saved = JSON.parse(readFileSync(join(dir, 'tokens', 'default.json'), 'utf8')) as StoredTokens;
      expect(saved).toMatchObject({ accessToken: fresh, refreshToken: 'rt-2' });
    } finally {
      await endpoint.close();
    }
  });

  it('says to log in again when the refresh token is refused', async () => {
    const dir = tempDir();
    const endpoint = await fakeTokenEndpoint([{ status: 400, body: { error: 'invalid_grant' } }]);
    try {
      const env = { HALLPASS_CONFIG_DIR: dir };
      const settings = loadSettings(undefined, env);
      saveTokens(settings, await stored(endpoint.url, -10));
      await expect(new TokenSource(settings, env).get()).rejects.toMatchObject({
        message: 'your hallpass sign-in has expired',
        hint: 'run `hallpass login` to sign in again',
      });
    } finally {
      await endpoint.close();
    }
  });

  it('keeps the refresh token when a refresh response carries none', () => {
    const merged = toStored(
      { issuer: 'i', clientId: 'c', tokenEndpoint: 't', refreshToken: 'old' },
      { access_token: 'opaque', expires_in: 60 },
      1_000_000,
    );
    expect(merged).toMatchObject({ refreshToken: 'old', expiresAt: 1060 });
  });
});

describe('device authorization polling (RFC 8628)', () => {
  const device = {
    device_code: 'dc',
    user_code: 'ABCD-EFGH',
    verification_uri: 'http://x/device',
    expires_in: 600,
  };

  it('waits through authorization_pending and slow_down, then returns the tokens', async () => {
    const endpoint = await fakeTokenEndpoint([
      { status: 400, body: { error: 'authorization_pending' } },
      { status: 400, body: { error: 'slow_down' } },
      {
        status: 200,
        body: { access_token: 'at', refresh_token: 'rt', expires_in: 900, token_type: 'Bearer' },
      },
    ]);
    try {
      const waits: number[] = [];
      const discovery: Discovery = { issuer: 'http://x', token_endpoint: endpoint.url };
      const tokens = await pollDeviceToken(discovery, 'hallpass-cli', device, {
        sleep: async (ms) => {
          waits.push(ms);
        },
      });
      expect(tokens.access_token).toBe('at');
      expect(waits).toEqual([5000, 5000, 10_000]);
      expect(Object.fromEntries(endpoint.calls[0] as URLSearchParams)).toEqual({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: 'dc',
        client_id: 'hallpass-cli',
      });
    } finally {
      await endpoint.close();
    }
  });

  it('stops on access_denied and on expired_token', async () => {
    const endpoint = await fakeTokenEndpoint([
      { status: 400, body: { error: 'access_denied' } },
      { status: 400, body: { error: 'expired_token' } },
    ]);
    try {
      const discovery: Discovery = { issuer: 'http://x', token_endpoint: endpoint.url };
      const options = { sleep: async () => {} };
      await expect(pollDeviceToken(discovery, 'c', device, options)).rejects.toThrow('refused or aborted');
      await expect(pollDeviceToken(discovery, 'c', device, options)).rejects.toThrow('the code expired');
    } finally {
      await endpoint.close();
    }
  });
});

describe('the command line', () => {
  it('prints the version and help, and refuses unknown commands and flags with exit 2', async () => {
    const version = captureIo();
    expect(await run(['--version'], version)).toBe(0);
    expect(version.stdout()).toBe('0.1.0\n');
    const help = captureIo();
    expect(await run(['help', 'exec'], help)).toBe(0);
    expect(help.stdout()).toMatch(/^usage: hallpass exec <entitlement>/);
    const unknown = captureIo();
    expect(await run(['frobnicate'], unknown)).toBe(2);
    expect(unknown.stderr()).toContain("unknown command 'frobnicate'");
    const flag = captureIo();
    expect(await run(['entitlements', '--frob'], flag)).toBe(2);
    expect(flag.stderr()).toContain("Unknown option '--frob'");
  });

  it('exec needs a command after --', async () => {
    const io = captureIo({ HALLPASS_URL: 'http://127.0.0.1:9/v1' });
    expect(await run(['exec', 'sandbox-readonly'], io)).toBe(2);
    expect(io.stderr()).toContain('missing -- <command...>');
  });

  it('says how to configure when no API URL is known', async () => {
    const io = captureIo({ HALLPASS_CONFIG_DIR: tempDir() });
    expect(await run(['--profile', 'prod', 'entitlements'], io)).toBe(1);
    expect(io.stderr()).toContain("no hallpass API URL for profile 'prod'");
    expect(io.stderr()).toContain('hallpass configure --url <api url> --profile prod');
  });

  it('configure keeps one profile per deployment', async () => {
    const env = { HALLPASS_CONFIG_DIR: tempDir() };
    const stdin = { isTTY: false } as NodeJS.ReadStream;
    const first = captureIo(env);
    expect(
      await run(
        ['configure', '--url', 'https://hallpass.example.com/v1/', '--issuer', 'https://login.example.com/'],
        { ...first, stdin },
      ),
    ).toBe(0);
    const second = captureIo(env);
    expect(
      await run(['configure', '--profile', 'staging', '--url', 'https://staging.example.com/v1', '--json'], {
        ...second,
        stdin,
      }),
    ).toBe(0);
    expect(loadSettings(undefined, env)).toMatchObject({
      url: 'https://hallpass.example.com/v1',
      issuer: 'https://login.example.com',
      clientId: 'hallpass-cli',
    });
    expect(loadSettings('staging', env).url).toBe('https://staging.example.com/v1');
    expect(loadSettings('staging', { ...env, HALLPASS_URL: 'http://127.0.0.1:3000/v1' }).url).toBe(
      'http://127.0.0.1:3000/v1',
    );
  });
});

describe('plain HTTP only to this machine (a bearer token over http to another host can be read)', () => {
  const stdin = { isTTY: false } as NodeJS.ReadStream;

  it.each([
    ['--url', 'http://hallpass.example.com/v1'],
    ['--url', 'http://10.0.0.5:3000/v1'],
    ['--issuer', 'http://login.example.com'],
  ])('configure refuses %s %s with exit 2, writing nothing', async (flag, value) => {
    const env = { HALLPASS_CONFIG_DIR: tempDir() };
    const io = captureIo(env);

    expect(await run(['configure', flag, value], { ...io, stdin })).toBe(2);

    expect(io.stderr()).toContain('must use https');
    expect(loadSettings(undefined, env)).toMatchObject({ url: undefined, issuer: undefined });
  });

  it.each([
    'http://127.0.0.1:3000/v1',
    'http://localhost:3000/v1',
    'http://[::1]:3000/v1',
    'https://hallpass.example.com/v1',
  ])('accepts %s', (url) => {
    expect(loadSettings(undefined, { HALLPASS_CONFIG_DIR: tempDir(), HALLPASS_URL: url }).url).toBe(url);
  });

  it('refuses HALLPASS_URL over plain http to another host', () => {
    expect(() =>
      loadSettings(undefined, {
        HALLPASS_CONFIG_DIR: tempDir(),
        HALLPASS_URL: 'http://hallpass.example.com/v1',
      }),
    ).toThrow(UsageError);
  });

  it('refuses an issuer whose discovery sends the token endpoint over plain http to another host', async () => {
    const issuer = createServer((_req, res) => {
      const base = `http://127.0.0.1:${(issuer.address() as { port: number }).port}`;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: base, token_endpoint: 'http://login.example.com/token' }));
    });
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(issuer.address() as { port: number }).port}`;
      await expect(discover(base)).rejects.toThrow(/must use https/);
    } finally {
      issuer.close();
    }
  });
});

describe('opening the console sign-in link', () => {
  const URL_WITH_PARAMS =
    'https://signin.aws.amazon.com/federation?Action=login&Issuer=x&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=abc';

  it('runs open on macOS and xdg-open elsewhere, with the URL as one argument and no shell', () => {
    expect(openCommand(URL_WITH_PARAMS, 'darwin')).toMatchObject({ file: 'open', args: [URL_WITH_PARAMS] });
    expect(openCommand(URL_WITH_PARAMS, 'linux')).toMatchObject({
      file: 'xdg-open',
      args: [URL_WITH_PARAMS],
    });
    expect(openCommand(URL_WITH_PARAMS, 'linux').options.shell).toBeUndefined();
  });

  it('quotes the URL for cmd on Windows, so that its & parameters are not commands', () => {
    const command = openCommand(URL_WITH_PARAMS, 'win32');
    expect(command.file).toBe('cmd');
    expect(command.args).toEqual(['/d', '/s', '/c', `"start "" "${URL_WITH_PARAMS}""`]);
    expect(command.options.windowsVerbatimArguments).toBe(true);
  });

  it('opens https links (and http to this machine) only, never one with quotes or spaces', () => {
    expect(openable(URL_WITH_PARAMS)).toBe(true);
    expect(openable('http://127.0.0.1:4000/federation?Action=login')).toBe(true);
    for (const bad of [
      'http://signin.example.com/',
      'file:///etc/passwd',
      'https://a/"&calc',
      'https://a/ b',
      '-x',
    ])
      expect(openable(bad), bad).toBe(false);
  });

  /** A spawn that returns a child which does what `behave` tells it. */
  const fakeSpawn = (behave: (child: EventEmitter) => void) => {
    const calls: unknown[][] = [];
    const impl = ((...args: unknown[]) => {
      calls.push(args);
      const child = Object.assign(new EventEmitter(), { unref: () => {} });
      setTimeout(() => behave(child), 1);
      return child as unknown as ChildProcess;
    }) as unknown as typeof spawn;
    return { impl, calls };
  };

  it('counts a missing opener or a failing one as not opened', async () => {
    const missing = fakeSpawn((child) =>
      child.emit('error', Object.assign(new Error('spawn'), { code: 'ENOENT' })),
    );
    expect(await systemOpener('linux', missing.impl)(URL_WITH_PARAMS)).toBe(false);
    const failing = fakeSpawn((child) => child.emit('exit', 3));
    expect(await systemOpener('linux', failing.impl)(URL_WITH_PARAMS)).toBe(false);
  });

  it('counts an opener that exits 0, or still runs after the grace period, as opened', async () => {
    const quick = fakeSpawn((child) => child.emit('exit', 0));
    expect(await systemOpener('linux', quick.impl)(URL_WITH_PARAMS)).toBe(true);
    expect(quick.calls[0]?.slice(0, 2)).toEqual(['xdg-open', [URL_WITH_PARAMS]]);
    vi.useFakeTimers();
    try {
      const waiting = fakeSpawn(() => {});
      const opened = systemOpener('linux', waiting.impl)(URL_WITH_PARAMS);
      await vi.advanceTimersByTimeAsync(OPENER_GRACE_MS);
      expect(await opened).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not start an opener for a link it may not open', async () => {
    const never = fakeSpawn(() => {});
    expect(await systemOpener('linux', never.impl)('http://signin.example.com/')).toBe(false);
    expect(never.calls).toEqual([]);
  });

  it('lists console in the help, with its usage', async () => {
    const help = captureIo();
    expect(await run(['--help'], help)).toBe(0);
    expect(help.stdout()).toMatch(/^ {2}console\s+open the AWS console as an entitlement's role$/m);
    const usage = captureIo();
    expect(await run(['help', 'console'], usage)).toBe(0);
    expect(usage.stdout()).toMatch(
      /^usage: hallpass console <entitlement> \[--request <id>\] \[--duration 8h\]/,
    );
  });
});
