/**
 * Signing in through the browser, for issuers without the device flow: the authorization code grant
 * with PKCE (RFC 7636, S256) for a public client (no secret), redirecting to a one-shot listener on
 * 127.0.0.1 at a random port (RFC 8252 section 7.3: the issuer matches a loopback redirect URI on
 * any port). The listener answers one `/callback` and closes; an answer whose `state` is not the one
 * this sign-in sent is refused (another page trying to sign you in as someone else).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Opener } from './browser.ts';
import { CliError } from './errors.ts';
import {
  type Discovery,
  fetchJson,
  form,
  oauthFailure,
  type TokenResponse,
  TokenResponse as TokenResponseSchema,
  type TokenTarget,
  targetParameters,
} from './oidc.ts';

/** How long the listener waits for the browser to come back. */
export const BROWSER_SIGN_IN_TIMEOUT_MS = 5 * 60_000;

export interface BrowserSignIn {
  clientId: string;
  scope: string;
  target: TokenTarget;
  open: Opener;
  /** Told the sign-in URL once the browser was (or could not be) opened, to print it. */
  onUrl: (url: string, opened: boolean) => void;
  timeoutMs?: number;
}

const page = (title: string, text: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title} - hallpass</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

function answer(res: ServerResponse, status: number, title: string, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  res.end(page(title, text));
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/**
 * Signs in through the browser and returns the issuer's token response:
 * 1. listens on 127.0.0.1 at a port the system picks;
 * 2. opens the issuer's authorization endpoint with the S256 code challenge, a random state and
 *    `redirect_uri=http://127.0.0.1:<port>/callback` (the URL is printed too);
 * 3. takes the first answer on /callback, refusing a wrong state or an error, and closes;
 * 4. exchanges the code with the code verifier at the token endpoint.
 */
export async function signInWithBrowser(
  discovery: Discovery,
  options: BrowserSignIn,
): Promise<TokenResponse> {
  if (!discovery.authorization_endpoint)
    throw new CliError(
      `the issuer ${discovery.issuer} offers neither the device flow nor an authorization endpoint`,
    );
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const state = base64url(randomBytes(16));

  let settle: { resolve(code: string): void; reject(error: Error): void } | undefined;
  const callback = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The answer may come (and be refused) while the opener still runs, before anyone awaits it.
  callback.catch(() => undefined);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback' || !settle)
      return answer(res, 404, 'Not found', 'This is the hallpass CLI waiting for your sign-in.');
    const done = settle;
    settle = undefined; // one answer only
    const params = url.searchParams;
    if (params.get('state') !== state) {
      answer(res, 400, 'Sign-in refused', 'This answer was not for the sign-in your terminal started.');
      return done.reject(
        new CliError(
          'refused a sign-in answer whose state is not the one this login sent',
          'run `hallpass login` again; if you did not open that page yourself, someone tried to sign you in',
        ),
      );
    }
    const error = params.get('error');
    if (error) {
      answer(res, 400, 'Sign-in failed', 'Go back to your terminal.');
      const description = params.get('error_description');
      return done.reject(
        new CliError(`the issuer refused the sign-in (${error}${description ? `: ${description}` : ''})`),
      );
    }
    const code = params.get('code');
    if (!code) {
      answer(res, 400, 'Sign-in failed', 'Go back to your terminal.');
      return done.reject(new CliError('the issuer answered without an authorization code'));
    }
    answer(res, 200, 'Signed in', 'You are signed in. Go back to your terminal; you may close this page.');
    done.resolve(code);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const timer = setTimeout(
    () =>
      settle?.reject(
        new CliError('no sign-in came back from the browser in time', 'run `hallpass login` again'),
      ),
    options.timeoutMs ?? BROWSER_SIGN_IN_TIMEOUT_MS,
  );

  let code: string;
  try {
    const authorize = new URL(discovery.authorization_endpoint);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: options.clientId,
      redirect_uri: redirectUri,
      scope: options.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...targetParameters(options.target),
    }))
      authorize.searchParams.set(name, value);
    options.onUrl(authorize.href, await options.open(authorize.href));
    code = await callback;
  } finally {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
  }

  const { status, body } = await fetchJson(
    discovery.token_endpoint,
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: options.clientId,
      code_verifier: verifier,
      ...targetParameters(options.target),
    }),
  );
  const tokens = TokenResponseSchema.safeParse(body);
  if (status !== 200 || !tokens.success) throw oauthFailure('exchanging the sign-in code', status, body);
  return tokens.data;
}
