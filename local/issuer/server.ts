/**
 * The dev OIDC issuer of local mode: oidc-provider on 127.0.0.1 with a signing key that exists only on
 * this machine. `npm run token` signs with the same key, and the issuer publishes it in its JWKS, so
 * both kinds of token verify.
 *
 * It supports the device authorization grant (RFC 8628) for the public client `hallpass-cli`, with a
 * dev sign-in page where anyone may sign in as any `sub`, with any groups: `hallpass login` against
 * `npm start` goes through it. The provider is in provider.ts, its pages in pages.ts, the key and
 * `npm run token`'s signing in keys.ts. A restart forgets every grant (`hallpass login` again).
 * It is a test fixture: it never runs in a deployment.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback.ts';
import type { IssuerKey } from './keys.ts';
import type { DevUser } from './oidc.ts';
import { signInHandler } from './pages.ts';
import { createProvider } from './provider.ts';

export interface DevIssuer {
  url: string;
  close(): Promise<void>;
}

export interface DevIssuerOptions {
  /** The `aud` of device-flow access tokens (default: HALLPASS_AUDIENCE, else `hallpass`). */
  audience?: string;
  /** Lifetime of device-flow access tokens, in seconds (default 900). */
  accessTokenTtlSeconds?: number;
}

/**
 * Serves the dev issuer on 127.0.0.1:port (0: any free port): discovery at
 * `/.well-known/openid-configuration`, the JWKS at `/.well-known/jwks.json`, the device flow
 * (`/device/auth`, `/device`, `/token`) and the dev sign-in page (`/interaction/<uid>`).
 */
export async function startDevIssuer(
  key: IssuerKey,
  port: number,
  options: DevIssuerOptions = {},
): Promise<DevIssuer> {
  // The issuer URL names the port, so listen first and hand requests over once the provider exists.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end();
  };
  const server: Server = createServer((req, res) => handle(req, res));
  const listening = await listenOnLoopback(server, port);
  const url = listening.url;

  const users = new Map<string, DevUser>();
  const provider = await createProvider({
    url,
    key,
    audience: options.audience ?? process.env.HALLPASS_AUDIENCE ?? 'hallpass',
    accessTokenTtl: options.accessTokenTtlSeconds ?? 900,
    users,
  });
  const signIn = signInHandler(provider, users);
  const callback = provider.callback();
  handle = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = /^\/interaction\/([\w-]+)(?:\/(\w+))?$/.exec(path);
    if (match?.[1]) signIn(req, res, match[1], match[2]);
    else callback(req, res);
  };

  return {
    url,
    close: listening.close,
  };
}
