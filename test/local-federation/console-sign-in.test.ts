/**
 * The local federation endpoint against a real local STS: credentials vended by AssumeRole, exchanged
 * for a sign-in URL by hallpass's own adapter, and the URL followed as a browser would.
 */
import type { AssumeRoleCommandInput, AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { consoleSignInUrl } from '../../lib/adapters/federation.ts';
import { consoleSessionDuration } from '../../lib/core/console.ts';
import { UpstreamUnavailableError } from '../../lib/errors.ts';
import { type LocalFederation, startLocalFederation } from '../../local/federation/server.ts';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import {
  ADMIN,
  assumeRole,
  client,
  type Keys,
  LONG,
  SANDBOX,
  TEST_CONFIG,
  TestClock,
  VEND,
} from '../local-sts/helpers.ts';

const ISSUER = 'https://hallpass.example.com/';
const DESTINATION = 'https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:';

const clock = new TestClock();
const lines: string[] = [];
/** Every secret the tests handed out or received: none may reach a log line. */
const secrets = new Set<string>();
let sts: LocalSts;
let federation: LocalFederation;

beforeAll(async () => {
  sts = await startLocalSts({ config: TEST_CONFIG, now: clock.now });
  federation = await startLocalFederation({
    stsUrl: sts.url,
    session: (accessKeyId) => sts.session(accessKeyId),
    now: clock.now,
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await federation?.close();
  await sts?.close();
});

afterEach(() => clock.reset());

interface Vended {
  keys: Required<Keys>;
  arn: string;
  expiration: Date;
}

/** AssumeRole as `caller` (VEND's calls are role chaining, ADMIN's are not), signed on the server's clock. */
async function vend(caller: Keys, input: Partial<AssumeRoleCommandInput> = {}): Promise<Vended> {
  const out: AssumeRoleCommandOutput = await assumeRole(
    client(sts.url, caller, { systemClockOffset: clock.now().getTime() - Date.now() }),
    input,
  );
  const { AccessKeyId = '', SecretAccessKey = '', SessionToken = '', Expiration } = out.Credentials ?? {};
  secrets.add(SecretAccessKey).add(SessionToken);
  return {
    keys: { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken },
    arn: out.AssumedRoleUser?.Arn ?? '',
    expiration: Expiration as Date,
  };
}

async function signIn(keys: Required<Keys>, sessionDurationSeconds?: number, destination = DESTINATION) {
  const url = await consoleSignInUrl({
    federationUrl: federation.url,
    issuer: ISSUER,
    destination,
    credentials: keys,
    sessionDurationSeconds,
  });
  secrets.add(new URL(url).searchParams.get('SigninToken') ?? '');
  return url;
}

/** The refusal consoleSignInUrl reports for what the endpoint refused. */
async function refusedSignIn(keys: Required<Keys>, sessionDurationSeconds?: number) {
  const error = await signIn(keys, sessionDurationSeconds).then(
    () => {
      throw new Error('expected the sign-in to be refused');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamUnavailableError);
  return (error as Error).message;
}

async function open(url: string) {
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The console session's expiry the page shows. */
const shownExpiry = (page: string) => /<dd id="session-expires">([^<]*)<\/dd>/.exec(page)?.[1];

/** The login URL with one character of its SigninToken at `index` changed. */
function tampered(url: string, index: number): string {
  const parsed = new URL(url);
  const token = parsed.searchParams.get('SigninToken') ?? '';
  const at = index < 0 ? token.length + index : index;
  const flipped = token[at] === 'A' ? 'B' : 'A';
  parsed.searchParams.set('SigninToken', token.slice(0, at) + flipped + token.slice(at + 1));
  return parsed.href;
}

describe('the local federation endpoint', () => {
  it('signs a role-chained session in: the page names the assumed-role ARN, escaped destination', async () => {
    const session = await vend(VEND);
    const url = await signIn(session.keys);

    expect(url.startsWith(`${federation.url}?Action=login&`)).toBe(true);
    const page = await open(url);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('AWS console (local)');
    expect(page.text).toContain(session.arn);
    expect(session.arn).toMatch(/^arn:aws:sts::111111111111:assumed-role\/hallpass-sandbox-readonly\/alice$/);
    expect(page.text).toContain('https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
  });

  it('ends a console session without SessionDuration with the credentials', async () => {
    clock.freeze();
    const session = await vend(VEND);
    const page = await open(await signIn(session.keys));
    expect(shownExpiry(page.text)).toBe(session.expiration.toISOString());
  });

  it('escapes the destination on its page', async () => {
    const session = await vend(VEND);
    const page = await open(
      await signIn(session.keys, undefined, 'https://console.aws.amazon.com/?q="><script>alert(1)</script>'),
    );
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses a sign-in token with one character changed, in its claims or its signature', async () => {
    const url = await signIn((await vend(VEND)).keys);
    for (const index of [5, -3, -1]) {
      const page = await open(tampered(url, index));
      expect(page.status).toBe(400);
      expect(page.text).toContain('invalid sign-in token');
      expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    }
    expect((await open(url)).status).toBe(200);
  });

  it('refuses a sign-in token after its 15 minutes', async () => {
    const url = await signIn((await vend(VEND)).keys);
    clock.offsetMs = 15 * 60 * 1000 - 2000;
    expect((await open(url)).status).toBe(200);
    clock.offsetMs = 15 * 60 * 1000 + 1000;
    const page = await open(url);
    expect(page.status).toBe(400);
    expect(page.text).toContain('expired sign-in token');
  });

  it('refuses to sign in once the session has expired, while the token is still good', async () => {
    const session = await vend(VEND, { DurationSeconds: 900 });
    clock.offsetMs = 600 * 1000;
    const url = await signIn(session.keys);
    clock.offsetMs = 901 * 1000;
    const page = await open(url);
    expect(page.status).toBe(400);
    expect(page.text).toContain('the session has expired');
  });

  it('refuses credentials with a wrong secret', async () => {
    const session = await vend(VEND);
    const wrong = { ...session.keys, secretAccessKey: `${session.keys.secretAccessKey.slice(0, -2)}AA` };
    secrets.add(wrong.secretAccessKey);
    expect(await refusedSignIn(wrong)).toBe('federation endpoint: answered HTTP 400');
    expect(lines.at(-1)).toMatch(/^GET \/federation getSigninToken -> 400 refused-by-sts:/);
  });

  it('refuses credentials with a wrong session token', async () => {
    const session = await vend(VEND);
    const wrong = { ...session.keys, sessionToken: `${session.keys.sessionToken.slice(0, -4)}AAAA` };
    secrets.add(wrong.sessionToken);
    expect(await refusedSignIn(wrong)).toBe('federation endpoint: answered HTTP 400');
  });

  it('refuses expired credentials', async () => {
    const session = await vend(VEND, { DurationSeconds: 900 });
    clock.offsetMs = 901 * 1000;
    expect(await refusedSignIn(session.keys)).toBe('federation endpoint: answered HTTP 400');
    expect(lines.at(-1)).toMatch(/-> 400 refused-by-sts:ExpiredToken/);
  });

  it('refuses credentials STS honours but did not issue as a session', async () => {
    // hallpass's own vending identity: a valid role session STS knows, but not one it minted.
    secrets.add(VEND.secretAccessKey).add(VEND.sessionToken ?? '');
    expect(await refusedSignIn(VEND as Required<Keys>)).toBe('federation endpoint: answered HTTP 400');
    expect(lines.at(-1)).toBe('GET /federation getSigninToken -> 400 unknown-session');
  });
});

describe('SessionDuration', () => {
  it('is refused with role-chained credentials', async () => {
    const session = await vend(VEND);
    expect(await refusedSignIn(session.keys, 900)).toBe('federation endpoint: answered HTTP 400');
    expect(lines.at(-1)).toBe(
      'GET /federation getSigninToken -> 400 session-duration-with-chained-credentials',
    );
  });

  it('sets the console session of credentials that are not chained, apart from their own expiry', async () => {
    const at = clock.freeze();
    const session = await vend(ADMIN, { RoleArn: LONG, DurationSeconds: 3600 });
    const page = await open(await signIn(session.keys, 43200));
    expect(page.status).toBe(200);
    expect(shownExpiry(page.text)).toBe(new Date(at + 43200 * 1000).toISOString());
  });

  it("is what consoleSessionDuration asks for: the console session ends with hallpass's credentials", async () => {
    const at = clock.freeze();
    const session = await vend(ADMIN, { RoleArn: LONG, DurationSeconds: 7200 });
    const duration = consoleSessionDuration({
      remainingSeconds: (session.expiration.getTime() - at) / 1000,
      chained: false,
    });
    expect(duration).toBe(7200);
    const page = await open(await signIn(session.keys, duration));
    expect(shownExpiry(page.text)).toBe(session.expiration.toISOString());
  });

  it('is refused outside 900..43200 seconds', async () => {
    const session = await vend(ADMIN, { RoleArn: LONG });
    for (const seconds of [899, 43201, 0]) {
      expect(await refusedSignIn(session.keys, seconds)).toBe('federation endpoint: answered HTTP 400');
      expect(lines.at(-1)).toBe('GET /federation getSigninToken -> 400 session-duration-out-of-range');
    }
  });

  it('is refused unless it is whole seconds', async () => {
    const session = await vend(ADMIN, { RoleArn: SANDBOX });
    const url = new URL(federation.url);
    url.searchParams.set('Action', 'getSigninToken');
    url.searchParams.set('SessionDuration', '1800.5');
    url.searchParams.set(
      'Session',
      JSON.stringify({
        sessionId: session.keys.accessKeyId,
        sessionKey: session.keys.secretAccessKey,
        sessionToken: session.keys.sessionToken,
      }),
    );
    const answer = await open(url.href);
    expect(answer.status).toBe(400);
    expect(answer.text).toBe('Invalid SessionDuration parameter');
  });
});

describe('requests it does not serve', () => {
  it('refuses an unknown Action, another path and another method', async () => {
    expect((await open(`${federation.url}?Action=getFederationToken`)).status).toBe(400);
    expect((await open(`${federation.url.replace('/federation', '/other')}?Action=login`)).status).toBe(404);
    expect((await fetch(`${federation.url}?Action=login`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses getSigninToken without a Session, or with one that is not the credentials JSON', async () => {
    expect((await open(`${federation.url}?Action=getSigninToken`)).status).toBe(400);
    const bad = encodeURIComponent(JSON.stringify({ sessionId: 'ASIAX' }));
    expect((await open(`${federation.url}?Action=getSigninToken&Session=${bad}`)).status).toBe(400);
    expect((await open(`${federation.url}?Action=getSigninToken&Session=%7B`)).status).toBe(400);
  });

  it('refuses login without a token', async () => {
    const page = await open(`${federation.url}?Action=login&Destination=x`);
    expect(page.status).toBe(400);
    expect(page.text).toContain('invalid sign-in token');
  });
});

describe('the log', () => {
  it('has one line per request, none with a secret, a session token, a sign-in token or a query', () => {
    expect(lines.length).toBeGreaterThan(20);
    secrets.delete('');
    expect(secrets.size).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line).toMatch(/^[A-Z]+ (\/federation|-) (getSigninToken|login|-) -> \d{3} [\w:-]+$/);
      for (const secret of secrets) {
        expect(line).not.toContain(secret);
        expect(line).not.toContain(encodeURIComponent(secret));
      }
    }
  });
});
