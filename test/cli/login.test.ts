/**
 * `hallpass login` as real identity providers need it: the device flow sends the configured
 * `audience` and `resource` (a fake issuer records what it was sent), and the browser sign-in
 * (authorization code with PKCE through a loopback listener) works end to end against the dev
 * issuer of `npm start`, refuses an answer with another state, and never sends a client secret.
 * The CLI runs in process; its "browser" is the test, following redirects over plain HTTP.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/app.ts';
import type { Opener } from '../../cli/browser.ts';
import type { Io } from '../../cli/context.ts';
import { loadTokens, tokensFile } from '../../cli/oidc.ts';
import { createAuthenticator } from '../../lib/adapters/auth.ts';
import { loadOrCreateIssuerKey } from '../../local/issuer/keys.ts';
import { type DevIssuer, startDevIssuer } from '../../local/issuer/server.ts';
import { Browser, readForm } from './support/browser.ts';
import { cleanEnv } from './support/cli.ts';

interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}

/** A JWT-shaped access token (the CLI reads its claims, the API would verify it). */
const accessToken = (claims: Record<string, unknown>) =>
  ['{"alg":"none"}', JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 900, ...claims }), '']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');

function ioFor(env: NodeJS.ProcessEnv, open: Opener) {
  const output = { out: '', err: '' };
  const io: Io = {
    env,
    output: { color: false, out: (t) => (output.out += `${t}\n`), err: (t) => (output.err += `${t}\n`) },
    stdin: process.stdin,
    now: Date.now,
    sleep: async () => {},
    open,
  };
  return { io, output };
}

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-login-'));
  env = cleanEnv({ HALLPASS_CONFIG_DIR: join(dir, 'config') });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const configure = async (...args: string[]) => {
  const { io, output } = ioFor(env, async () => false);
  expect(await run(['configure', ...args], io), output.err).toBe(0);
};

describe('against an issuer that records what it is sent', () => {
  let issuer: Server;
  let base = '';
  let recorded: Recorded[] = [];
  let withDeviceFlow = true;

  beforeAll(async () => {
    issuer = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      recorded.push({ path, headers: req.headers, form: new URLSearchParams(body) });
      res.setHeader('content-type', 'application/json');
      if (path === '/.well-known/openid-configuration')
        return res.end(
          JSON.stringify({
            issuer: base,
            token_endpoint: `${base}/token`,
            authorization_endpoint: `${base}/authorize`,
            ...(withDeviceFlow ? { device_authorization_endpoint: `${base}/device/auth` } : {}),
          }),
        );
      if (path === '/device/auth')
        return res.end(
          JSON.stringify({
            device_code: 'dc-1',
            user_code: 'BCDF-GHJK',
            verification_uri: `${base}/device`,
            expires_in: 600,
            interval: 1,
          }),
        );
      if (path === '/token')
        return res.end(
          JSON.stringify({
            access_token: accessToken({ sub: 'alice', groups: ['engineers'] }),
            token_type: 'Bearer',
            refresh_token: 'rt-1',
          }),
        );
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(issuer.address() as { port: number }).port}`;
  });

  afterAll(() => {
    issuer.close();
  });

  beforeEach(() => {
    recorded = [];
    withDeviceFlow = true;
  });

  const calls = (path: string) => recorded.filter((call) => call.path === path);

  it('sends the configured audience and resource on the device authorization and token requests', async () => {
    await configure(
      '--issuer',
      base,
      '--audience',
      'https://hallpass.example.com',
      '--resource',
      'urn:hallpass:api',
    );
    const { io, output } = ioFor(env, async () => false);

    expect(await run(['login'], io), output.err).toBe(0);

    const [device] = calls('/device/auth');
    const [token] = calls('/token');
    expect(Object.fromEntries(device?.form ?? [])).toEqual({
      client_id: 'hallpass-cli',
      scope: 'openid offline_access',
      audience: 'https://hallpass.example.com',
      resource: 'urn:hallpass:api',
    });
    expect(Object.fromEntries(token?.form ?? [])).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: 'dc-1',
      client_id: 'hallpass-cli',
      audience: 'https://hallpass.example.com',
      resource: 'urn:hallpass:api',
    });
  });

  it('sends neither parameter when none is configured, and never a client secret', async () => {
    await configure('--issuer', base);
    const { io, output } = ioFor(env, async () => false);

    expect(await run(['login'], io), output.err).toBe(0);

    for (const call of [...calls('/device/auth'), ...calls('/token')]) {
      expect([...call.form.keys()]).not.toContain('audience');
      expect([...call.form.keys()]).not.toContain('resource');
      expect([...call.form.keys()]).not.toContain('client_secret');
      expect(call.headers.authorization).toBeUndefined();
    }
  });

  it('signs in through the browser when the issuer has no device flow: S256 challenge, state, loopback redirect, no secret', async () => {
    withDeviceFlow = false;
    await configure('--issuer', base, '--audience', 'https://hallpass.example.com');
    let authorize: URL | undefined;
    const { io, output } = ioFor(env, async (url) => {
      authorize = new URL(url);
      const redirect = new URL(authorize.searchParams.get('redirect_uri') as string);
      redirect.search = new URLSearchParams({
        code: 'code-1',
        state: authorize.searchParams.get('state') as string,
      }).toString();
      const page = await fetch(redirect);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('You are signed in');
      return true;
    });

    expect(await run(['login'], io), output.err).toBe(0);

    const params = Object.fromEntries(authorize?.searchParams ?? []);
    expect(authorize?.origin + (authorize?.pathname ?? '')).toBe(`${base}/authorize`);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: 'hallpass-cli',
      scope: 'openid offline_access',
      code_challenge_method: 'S256',
      audience: 'https://hallpass.example.com',
    });
    expect(params.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(params.state).toMatch(/^[\w-]{22,}$/);
    expect(params).not.toHaveProperty('client_secret');
    const [token] = calls('/token');
    const sent = Object.fromEntries(token?.form ?? []);
    expect(sent).toMatchObject({
      grant_type: 'authorization_code',
      code: 'code-1',
      client_id: 'hallpass-cli',
      redirect_uri: params.redirect_uri,
      audience: 'https://hallpass.example.com',
    });
    expect(
      createHash('sha256')
        .update(sent.code_verifier as string)
        .digest('base64url'),
    ).toBe(params.code_challenge);
    expect(sent).not.toHaveProperty('client_secret');
    expect(token?.headers.authorization).toBeUndefined();
    expect(output.out).toContain('Signed in as alice; groups: engineers.');
    // The listener was one-shot: nothing answers at the redirect URI any more.
    await expect(fetch(params.redirect_uri as string)).rejects.toThrow();
  });

  it('refuses an answer whose state is not the one it sent, and exchanges nothing', async () => {
    await configure('--issuer', base);
    const { io, output } = ioFor(env, async (url) => {
      const redirect = new URL(new URL(url).searchParams.get('redirect_uri') as string);
      redirect.search = 'code=planted&state=someone-elses';
      expect((await fetch(redirect)).status).toBe(400);
      return true;
    });

    expect(await run(['login', '--browser'], io)).toBe(1);

    expect(output.err).toContain('refused a sign-in answer whose state is not the one this login sent');
    expect(calls('/token')).toEqual([]);
    expect(loadTokens({ dir: join(dir, 'config'), profile: 'default' })).toBeUndefined();
  });

  it('doctor counts an issuer without the device flow as fine: login signs in through the browser', async () => {
    withDeviceFlow = false;
    await configure('--issuer', base);
    const { io, output } = ioFor(env, async () => false);

    await run(['doctor', '--json'], io);

    const { checks } = JSON.parse(output.out) as {
      checks: Array<{ name: string; status: string; detail: string }>;
    };
    expect(checks.find((check) => check.name === 'issuer')).toEqual({
      name: 'issuer',
      status: 'ok',
      detail: `${base} offers no device flow: hallpass login signs in through this machine's browser`,
    });
  });

  it('prints the sign-in page when no browser opens', async () => {
    await configure('--issuer', base);
    const { io, output } = ioFor(env, async () => false);
    const signedIn = run(['login', '--browser'], io);
    await expect.poll(() => output.err, { timeout: 5000 }).toContain('/authorize?');
    const url = new URL(/(http:\/\/\S+\/authorize\S+)/.exec(output.err)?.[1] as string);
    const redirect = new URL(url.searchParams.get('redirect_uri') as string);
    redirect.search = new URLSearchParams({
      code: 'c',
      state: url.searchParams.get('state') as string,
    }).toString();
    await fetch(redirect);
    expect(await signedIn, output.err).toBe(0);
    expect(output.err).toContain('Open this page in a browser on this machine to sign in');
  });
});

describe('browser sign-in against the dev issuer', () => {
  let issuer: DevIssuer;

  beforeAll(async () => {
    const key = await loadOrCreateIssuerKey(
      join(mkdtempSync(join(tmpdir(), 'hallpass-login-key-')), 'key.json'),
    );
    issuer = await startDevIssuer(key, 0);
  });

  afterAll(async () => {
    await issuer.close();
  });

  it('signs in on the dev login page and stores tokens (0600) the API accepts, with a refresh token', async () => {
    // The audience and resource the API's settings name: the dev issuer takes both.
    await configure('--issuer', issuer.url, '--audience', 'hallpass', '--resource', 'urn:hallpass:api');
    const { io, output } = ioFor(env, async (url) => {
      const browser = new Browser();
      const signIn = await browser.get(url);
      expect(signIn.html).toContain('Sign in as a dev user');
      const form = readForm(signIn.html, signIn.url);
      const done = await browser.submit(form.action, {
        ...form.fields,
        sub: 'alice',
        groups: 'engineers,approvers',
        name: 'Alice Doe',
      });
      expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
      expect(done.html).toContain('You are signed in');
      return true;
    });

    expect(await run(['login', '--browser'], io), output.err).toBe(0);

    const settings = { dir: join(dir, 'config'), profile: 'default' };
    expect(statSync(tokensFile(settings)).mode & 0o777).toBe(0o600);
    const stored = loadTokens(settings);
    expect(stored).toMatchObject({
      issuer: issuer.url,
      clientId: 'hallpass-cli',
      tokenEndpoint: `${issuer.url}/token`,
    });
    expect(stored?.refreshToken).toBeTruthy();
    const authenticate = createAuthenticator({
      issuer: issuer.url,
      audience: 'hallpass',
      jwksUri: undefined,
      algorithms: ['RS256'],
      claims: { principal: 'sub', name: ['email', 'preferred_username'], groups: 'groups' },
    });
    expect(await authenticate(`Bearer ${stored?.accessToken}`)).toMatchObject({
      sub: 'alice',
      name: 'Alice Doe',
      groups: ['engineers', 'approvers'],
    });
    expect(output.out).toContain('Signed in as alice (Alice Doe); groups: engineers, approvers.');
  });
});
