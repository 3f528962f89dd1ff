/**
 * AWS's federation endpoint: exchanges a session's credentials for a sign-in token (getSigninToken)
 * and builds the console sign-in URL around it (login), as
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html
 * describes. The only HTTP I/O of the console sign-in.
 */
import { UpstreamUnavailableError } from '../errors.ts';

export interface ConsoleSignInInput {
  /** The partition's federation endpoint, e.g. https://signin.aws.amazon.com/federation. */
  federationUrl: string;
  /** Where AWS sends the browser when the console session ends (hallpass's sign-in page). */
  issuer: string;
  /** The console URL to land on, already checked (lib/core/console.ts checkDestination). */
  destination: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** From consoleSessionDuration: undefined sends none (required for role-chained credentials). */
  sessionDurationSeconds?: number;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;

const unavailable = (message: string, options: { cause?: Error; retryAfterSeconds: number }) =>
  new UpstreamUnavailableError('federation', `federation endpoint: ${message}`, options);

/**
 * What an error from fetch may tell: its name and code (`TypeError (ECONNREFUSED)`), never its
 * message. A fetch error's message can quote the URL (undici's "Failed to parse URL from ..."), and
 * this URL carries the secret key and session token.
 */
function summary(error: unknown): Error {
  const name = error instanceof Error ? error.name : typeof error;
  const inner = error instanceof Error ? error.cause : undefined;
  const code = (inner as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown } | null)?.code;
  return new Error(typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? `${name} (${code})` : name);
}

/** The Retry-After the endpoint asked for (seconds, 1..300), or `fallback`. */
function retryAfter(response: Response, fallback: number): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= 300 ? seconds : fallback;
}

/**
 * The console sign-in URL for a session's credentials.
 *
 * 1. GETs `Action=getSigninToken` with the credentials as the `Session` JSON (`sessionId`,
 *    `sessionKey`, `sessionToken`) and, when given, `SessionDuration`, in the query string: AWS's
 *    endpoint takes them there and nowhere else. That URL carries the secret key and the session
 *    token, so it is never logged, never put in an error, and never followed through a redirect.
 * 2. Reads `{"SigninToken": ...}` from a 200 answer.
 * 3. Returns the endpoint with `Action=login`, `Issuer`, `Destination` and `SigninToken`: valid for
 *    15 minutes, and as much a secret as the credentials until then.
 *
 * Any failure (network, timeout, a status other than 200, an answer without a token) throws
 * UpstreamUnavailableError, whose message names the failure and nothing it carried.
 */
export async function consoleSignInUrl(input: ConsoleSignInInput): Promise<string> {
  const fetcher = input.fetch ?? fetch;
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Parsed before any secret is added, so a bad endpoint's error quotes only the endpoint.
  const endpoint = new URL(input.federationUrl);
  endpoint.search = '';
  endpoint.hash = '';

  const request = new URL(endpoint);
  request.searchParams.set('Action', 'getSigninToken');
  if (input.sessionDurationSeconds !== undefined) {
    request.searchParams.set('SessionDuration', String(input.sessionDurationSeconds));
  }
  request.searchParams.set(
    'Session',
    JSON.stringify({
      sessionId: input.credentials.accessKeyId,
      sessionKey: input.credentials.secretAccessKey,
      sessionToken: input.credentials.sessionToken,
    }),
  );

  let response: Response;
  let body: string;
  try {
    response = await fetcher(request, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await response.text();
  } catch (error) {
    const cause = summary(error);
    const timedOut = error instanceof Error && ['TimeoutError', 'AbortError'].includes(error.name);
    throw unavailable(timedOut ? `no answer within ${timeoutMs} ms` : `unreachable (${cause.message})`, {
      cause,
      retryAfterSeconds: 2,
    });
  }

  if (response.status !== 200) {
    // A 4xx means these credentials were refused (expired, or a SessionDuration with role-chained
    // credentials): asking again soon will not help. The body is not quoted: it is the endpoint's.
    const client = response.status >= 400 && response.status < 500 && response.status !== 429;
    throw unavailable(`answered HTTP ${response.status}`, {
      retryAfterSeconds: retryAfter(response, client ? 30 : 2),
    });
  }
  let token: unknown;
  try {
    token = (JSON.parse(body) as { SigninToken?: unknown } | null)?.SigninToken;
  } catch {
    // The SyntaxError quotes the body: left out.
    throw unavailable('answered something other than JSON', { retryAfterSeconds: 2 });
  }
  if (typeof token !== 'string' || token.length === 0) {
    throw unavailable('answered without a SigninToken', { retryAfterSeconds: 2 });
  }

  const login = new URL(endpoint);
  login.searchParams.set('Action', 'login');
  login.searchParams.set('Issuer', input.issuer);
  login.searchParams.set('Destination', input.destination);
  login.searchParams.set('SigninToken', token);
  return login.href;
}
