/**
 * A local stand-in for AWS's federation endpoint (signin.aws.amazon.com/federation), so the console
 * sign-in can be exercised end to end against the local STS. It refuses what AWS refuses:
 * credentials the local STS did not issue or no longer honours (checked by calling its
 * GetCallerIdentity signed with them), a SessionDuration out of 900..43200 or sent with role-chained
 * credentials, tampered or expired sign-in tokens. Its "console" is one page naming the session.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  MAX_CONSOLE_SESSION_SECONDS,
  MIN_CONSOLE_SESSION_SECONDS,
  SIGNIN_TOKEN_LIFETIME_SECONDS,
} from '../../lib/core/console.ts';
import { listenOnLoopback } from '../loopback.ts';
import { loginPage } from './pages.ts';
import { signinTokens } from './token.ts';

export interface FederationSession {
  /** The assumed-role ARN. */
  arn: string;
  /** When the credentials expire. */
  expiration: Date;
  /** Issued by AssumeRole called with another role's session (role chaining). */
  chained: boolean;
}

export interface LocalFederationOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** The local STS that issued the credentials: they are proven by calling its GetCallerIdentity. */
  stsUrl: string;
  region?: string;
  /** What the local STS knows of a session; undefined when it issued none with this key id. */
  session: (accessKeyId: string) => FederationSession | undefined;
  now?: () => Date;
  /** One line per request: method, Action, outcome. Never the query string, which carries secrets. */
  log?: (line: string) => void;
}

export interface LocalFederation {
  /** The federation endpoint, e.g. http://127.0.0.1:PORT/federation. */
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A refusal: the status, the body's short text, and the outcome word for the log line. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly outcome: string,
  ) {
    super(message);
  }
}

const ACTIONS = ['getSigninToken', 'login'] as const;
const PATH = '/federation';
// What AWS answers a SessionDuration sent with role-chained credentials, and bad credentials.
const INVALID_CREDENTIALS = 'Invalid credentials parameter';

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
};

export async function startLocalFederation(options: LocalFederationOptions): Promise<LocalFederation> {
  const now = options.now ?? (() => new Date());
  const tokens = signinTokens();

  /** The caller's ARN if STS accepts the credentials' signature, token and expiry. */
  async function callerArn(credentials: Credentials, at: Date) {
    const sts = new STSClient({
      endpoint: options.stsUrl,
      region: options.region ?? 'us-east-1',
      credentials,
      maxAttempts: 1,
      // Signed on this server's clock, which tests move together with the local STS's.
      systemClockOffset: at.getTime() - Date.now(),
    });
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      return identity.Arn;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const name = (error as { name?: string }).name ?? 'Error';
      if (status !== undefined && status < 500 && name !== 'Throttling') {
        throw new Refusal(400, INVALID_CREDENTIALS, `refused-by-sts:${name}`);
      }
      throw new Refusal(503, 'STS is unavailable', `sts-unavailable:${name}`);
    } finally {
      sts.destroy();
    }
  }

  async function getSigninToken(params: URLSearchParams, at: Date) {
    const credentials = parseSession(params.get('Session'));
    const duration = parseSessionDuration(params.get('SessionDuration'));
    const arn = await callerArn(credentials, at);
    const session = options.session(credentials.accessKeyId);
    if (!session || session.arn !== arn) throw new Refusal(400, INVALID_CREDENTIALS, 'unknown-session');
    if (session.expiration.getTime() <= at.getTime()) {
      throw new Refusal(400, INVALID_CREDENTIALS, 'expired-session');
    }
    if (duration !== undefined && session.chained) {
      throw new Refusal(400, INVALID_CREDENTIALS, 'session-duration-with-chained-credentials');
    }
    // AWS: SessionDuration sets the console session apart from the credentials; without it the
    // console session lasts as long as they do.
    const sessionExpiresAt =
      duration === undefined ? session.expiration : new Date(at.getTime() + duration * 1000);
    const token = tokens.sign({
      accessKeyId: credentials.accessKeyId,
      arn,
      sessionExpiresAt: sessionExpiresAt.toISOString(),
      expiresAt: new Date(at.getTime() + SIGNIN_TOKEN_LIFETIME_SECONDS * 1000).toISOString(),
    });
    return JSON.stringify({ SigninToken: token });
  }

  function login(params: URLSearchParams, at: Date) {
    const claims = tokens.verify(params.get('SigninToken') ?? '');
    if (!claims) throw new Refusal(400, 'invalid sign-in token', 'invalid-token');
    if (Date.parse(claims.expiresAt) <= at.getTime()) {
      throw new Refusal(400, 'expired sign-in token', 'expired-token');
    }
    const session = options.session(claims.accessKeyId);
    if (!session || session.arn !== claims.arn || session.expiration.getTime() <= at.getTime()) {
      throw new Refusal(400, 'the session has expired', 'expired-session');
    }
    if (Date.parse(claims.sessionExpiresAt) <= at.getTime()) {
      throw new Refusal(400, 'the console session has expired', 'expired-console-session');
    }
    return loginPage({
      arn: claims.arn,
      sessionExpiresAt: claims.sessionExpiresAt,
      destination: params.get('Destination') ?? '',
      issuer: params.get('Issuer') ?? '',
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://federation.local');
    const params = url.searchParams;
    const given = params.get('Action');
    // Only a known action name reaches the log: anything else there is the caller's text.
    const action = ACTIONS.find((known) => known === given);
    let status = 200;
    let outcome = 'OK';
    let type = action === 'login' ? 'text/html; charset=utf-8' : 'application/json';
    let body: string;
    try {
      if (req.method !== 'GET') throw new Refusal(405, 'Method not allowed', 'method-not-allowed');
      if (url.pathname !== PATH) throw new Refusal(404, 'Not found', 'not-found');
      if (action === 'getSigninToken') body = await getSigninToken(params, now());
      else if (action === 'login') body = login(params, now());
      else throw new Refusal(400, 'Invalid Action parameter', 'unknown-action');
    } catch (error) {
      const refusal =
        error instanceof Refusal
          ? error
          : new Refusal(
              500,
              'Internal error',
              `internal:${error instanceof Error ? error.name : typeof error}`,
            );
      status = refusal.status;
      outcome = refusal.outcome;
      if (action === 'login') body = loginPage({ error: refusal.message });
      else {
        type = 'text/plain; charset=utf-8';
        body = refusal.message;
      }
    }
    res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS });
    res.end(body);
    options.log?.(
      `${req.method} ${url.pathname === PATH ? PATH : '-'} ${action ?? '-'} -> ${status} ${outcome}`,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const listening = await listenOnLoopback(server, options.port, options.host);
  return { url: `${listening.url}${PATH}`, port: listening.port, close: listening.close };
}

/** The `Session` parameter: JSON with the three credential strings, as AWS's example builds it. */
function parseSession(text: string | null): Credentials {
  if (text === null) throw new Refusal(400, 'Missing Session parameter', 'missing-session');
  let session: unknown;
  try {
    session = JSON.parse(text);
  } catch {
    throw new Refusal(400, INVALID_CREDENTIALS, 'session-not-json');
  }
  const { sessionId, sessionKey, sessionToken } = (session ?? {}) as Record<string, unknown>;
  if (![sessionId, sessionKey, sessionToken].every((v) => typeof v === 'string' && v.length > 0)) {
    throw new Refusal(400, INVALID_CREDENTIALS, 'session-incomplete');
  }
  return {
    accessKeyId: sessionId as string,
    secretAccessKey: sessionKey as string,
    sessionToken: sessionToken as string,
  };
}

/** SessionDuration: absent, or whole seconds in 900..43200. */
function parseSessionDuration(text: string | null): number | undefined {
  if (text === null) return undefined;
  const seconds = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= MIN_CONSOLE_SESSION_SECONDS && seconds <= MAX_CONSOLE_SESSION_SECONDS)) {
    throw new Refusal(400, 'Invalid SessionDuration parameter', 'session-duration-out-of-range');
  }
  return seconds;
}
