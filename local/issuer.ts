/**
 * The dev OIDC issuer of local mode: an oidc-provider instance on 127.0.0.1 with a signing key that
 * exists only on this machine (under .hallpass/). `npm run token` signs with the same key, and the
 * issuer publishes it in its JWKS, so both kinds of token verify.
 *
 * It supports the device authorization grant (RFC 8628) for the public client `hallpass-cli`, with a
 * dev sign-in page where anyone may sign in as any `sub`, with any groups: `hallpass login` against
 * `npm start` goes through it. Its access tokens are JWTs for the audience `hallpass` carrying `sub`,
 * `groups` (and `name`/`preferred_username` when a name was given), signed with the dev key.
 * Grants, sessions and refresh tokens live in memory: a restart forgets them (`hallpass login` again).
 * It is a test fixture: it never runs in a deployment.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

export interface IssuerKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Loads the dev signing key from `file`, creating it (mode 0600) on first use. */
export async function loadOrCreateIssuerKey(file: string): Promise<IssuerKey> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as IssuerKey;
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const key: IssuerKey = {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  return key;
}

export interface TokenClaims {
  sub: string;
  groups: string[];
  audience: string;
  expiresIn: number;
  name?: string;
  extra?: Record<string, unknown>;
}

/** Signs an access token as the dev issuer would issue it. */
export async function signDevToken(key: IssuerKey, issuer: string, claims: TokenClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + claims.expiresIn;
  const names = claims.name ? { name: claims.name, preferred_username: claims.name } : {};
  return new SignJWT({ ...claims.extra, ...names, groups: claims.groups })
    .setProtectedHeader({ alg: 'RS256', kid: key.privateJwk.kid ?? 'dev', typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(claims.sub)
    .setAudience(claims.audience)
    .setIssuedAt(Math.min(now, exp - 300))
    .setExpirationTime(exp)
    .sign(await importJWK(key.privateJwk, 'RS256'));
}

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

/** The public client `hallpass login` uses against the dev issuer. */
export const DEV_CLIENT_ID = 'hallpass-cli';
/** The resource indicator whose access tokens carry `aud` = the audience. */
const RESOURCE = 'urn:hallpass:api';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

// oidc-provider ships no type declarations: these are the few parts used here.
interface OidcCtx {
  oidc: { client?: { clientId: string } };
  body: string;
  type?: string;
  status: number;
}
interface OidcToken {
  grantId?: string;
  accountId?: string;
}
interface OidcGrant {
  addOIDCScope(scope: string): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface OidcInteraction {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
  session?: { accountId?: string };
}
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (fields: { accountId: string; clientId: string }) => OidcGrant;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface OidcCheckClass {
  new (reason: string, description: string, check: (ctx: { oidc: { result?: unknown } }) => boolean): unknown;
  REQUEST_PROMPT: boolean;
  NO_NEED_TO_PROMPT: boolean;
}
interface OidcModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  interactionPolicy: {
    base(): { get(name: string): { checks: { add(check: unknown): void } } };
    Check: OidcCheckClass;
  };
}

let oidcModule: Promise<OidcModule> | undefined;
/**
 * Loads oidc-provider once. Its import-time "Unsupported runtime" notice (it prefers Node 22, the
 * Lambda runtime) is dropped: local mode runs on Node >= 20 as package.json allows, and nothing
 * the dev issuer uses needs more. Every other warning it prints is kept.
 */
function loadOidcProvider(): Promise<OidcModule> {
  oidcModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (String(args[0]).includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      // A specifier TypeScript does not resolve: the package ships no types, OidcModule describes it.
      const specifier: string = 'oidc-provider';
      return (await import(specifier)) as OidcModule;
    } finally {
      console.warn = warn;
    }
  })();
  return oidcModule;
}

/**
 * oidc-provider's storage, in memory, per issuer instance (its own in-memory adapter is shared by
 * every instance of a process and announces itself on every start).
 */
function memoryAdapter() {
  const store = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  const live = (key: string) => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) store.delete(key);
    return store.get(key);
  };
  return (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    const findBy = (field: string, value: unknown) => {
      for (const [k, entry] of store)
        if (k.startsWith(`${model}:`) && entry.payload[field] === value) return live(k)?.payload;
      return undefined;
    };
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
        store.set(key(id), { payload, expiresAt });
      },
      async find(id: string) {
        return live(key(id))?.payload;
      },
      async findByUid(uid: string) {
        return findBy('uid', uid);
      },
      async findByUserCode(userCode: string) {
        return findBy('userCode', userCode);
      },
      async consume(id: string) {
        const entry = live(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const [k, entry] of store) if (entry.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const page = (title: string, body: string) => `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - hallpass dev issuer</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .2rem}input[type=text]{width:100%;padding:.4rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}.note{color:#555;font-size:.9rem}.error{color:#b00020}</style>
</head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<p class="note">hallpass local dev issuer: anyone may sign in as anyone. Never use it for real access.</p>
</body></html>`;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

interface DevUser {
  sub: string;
  groups: string[];
  name?: string;
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
  const audience = options.audience ?? process.env.HALLPASS_AUDIENCE ?? 'hallpass';
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 900;
  const { default: Provider, interactionPolicy } = await loadOidcProvider();

  // The issuer URL names the port, so listen first and hand requests over once the provider exists.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end();
  };
  const server: Server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;

  // Who signed in, by grant: the access tokens of a grant (and of its refreshes) carry these claims.
  const users = new Map<string, DevUser>();

  // The dev page asks who you are on every sign-in, even in a browser that signed in before.
  const policy = interactionPolicy.base();
  const { Check } = interactionPolicy;
  policy
    .get('login')
    .checks.add(
      new Check('dev_sign_in', 'the dev issuer asks who you are every time', (ctx) =>
        ctx.oidc.result ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
      ),
    );

  const html = (ctx: OidcCtx, status: number, title: string, body: string) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(title, body);
  };

  const provider = new Provider(url, {
    adapter: memoryAdapter(),
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        client_name: 'hallpass CLI',
        token_endpoint_auth_method: 'none',
        grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        application_type: 'native',
      },
    ],
    jwks: { keys: [key.privateJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: { jwks: '/.well-known/jwks.json' },
    scopes: ['openid', 'offline_access', 'profile'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'groups'] },
    async findAccount(_ctx: unknown, sub: string, token?: OidcToken) {
      const user = token?.grantId ? users.get(token.grantId) : undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            ...(user?.name ? { name: user.name, preferred_username: user.name } : {}),
            ...(user ? { groups: user.groups } : {}),
          };
        },
      };
    },
    async extraTokenClaims(_ctx: unknown, token: OidcToken) {
      const user = token.grantId ? users.get(token.grantId) : undefined;
      if (!user) return undefined;
      return {
        groups: user.groups,
        ...(user.name ? { name: user.name, preferred_username: user.name } : {}),
      };
    },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    clientBasedCORS: () => false,
    interactions: {
      policy,
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: accessTokenTtl,
      DeviceCode: 600,
      IdToken: accessTokenTtl,
      Interaction: 600,
      Session: 3600,
      Grant: 14 * 86_400,
      RefreshToken: 14 * 86_400,
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        async userCodeInputSource(ctx: OidcCtx, form: string, _out: unknown, error?: Error) {
          const message = error
            ? '<p class="error">That code is not valid (wrong, expired or already used). Try again.</p>'
            : '<p>Enter the code that <code>hallpass login</code> shows.</p>';
          html(
            ctx,
            200,
            'Device sign-in',
            `${message}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`,
          );
        },
        async userCodeConfirmSource(
          ctx: OidcCtx,
          form: string,
          _client: unknown,
          _info: unknown,
          code: string,
        ) {
          html(
            ctx,
            200,
            'Confirm the device',
            `<p>Does your terminal show the code <strong><code>${escapeHtml(code)}</code></strong>?</p>${form}
<button type="submit" form="op.deviceConfirmForm">Yes, continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">No, abort</button>`,
          );
        },
        async successSource(ctx: OidcCtx) {
          html(
            ctx,
            200,
            'Signed in',
            '<p>You are signed in. Go back to your terminal; you may close this page.</p>',
          );
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: 'hallpass',
          audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: accessTokenTtl,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
      revocation: { enabled: true },
    },
    async renderError(
      ctx: OidcCtx,
      out: { error?: string; error_description?: string },
      error?: { statusCode?: number },
    ) {
      html(
        ctx,
        error?.statusCode ?? 400,
        'Sign-in failed',
        `<p class="error">${escapeHtml(out.error ?? 'error')}: ${escapeHtml(out.error_description ?? '')}</p>`,
      );
    },
  });

  const signInPage = (uid: string, error?: string) =>
    page(
      'Sign in as a dev user',
      `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="sub">Subject (sub)</label><input type="text" id="sub" name="sub" required autofocus placeholder="alice">
<label for="groups">Groups (comma-separated)</label><input type="text" id="groups" name="groups" placeholder="engineers,approvers">
<label for="name">Name (optional)</label><input type="text" id="name" name="name" placeholder="Alice Doe">
<button type="submit">Sign in</button>
</form>`,
    );

  const sendHtml = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  };

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, action?: string) => {
    let details: OidcInteraction;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      return sendHtml(
        res,
        400,
        page('Sign-in expired', '<p class="error">Start again with <code>hallpass login</code>.</p>'),
      );
    }
    if (details.uid !== uid)
      return sendHtml(res, 400, page('Sign-in', '<p class="error">Unknown sign-in.</p>'));
    if (req.method === 'GET' && !action) return sendHtml(res, 200, signInPage(uid));
    if (req.method !== 'POST' || action !== 'login')
      return sendHtml(res, 405, page('Sign-in', '<p>Not allowed.</p>'));

    const form = await readForm(req);
    const sub = (form.get('sub') ?? '').trim();
    if (!sub || sub.length > 256)
      return sendHtml(res, 400, signInPage(uid, 'Type a subject (1 to 256 characters).'));
    const groups = (form.get('groups') ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    const name = (form.get('name') ?? '').trim();

    // The dev user consents to everything the CLI asked for.
    const clientId = String(details.params.client_id);
    const grant = new provider.Grant({ accountId: sub, clientId });
    const scope = typeof details.params.scope === 'string' ? details.params.scope : 'openid';
    grant.addOIDCScope(scope);
    grant.addResourceScope(RESOURCE, 'hallpass');
    const grantId = await grant.save();
    users.set(grantId, { sub, groups, ...(name ? { name } : {}) });
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: sub, remember: false }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };

  const callback = provider.callback();
  handle = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = /^\/interaction\/([\w-]+)(?:\/(\w+))?$/.exec(path);
    if (match?.[1]) {
      interaction(req, res, match[1], match[2]).catch(() => {
        if (!res.headersSent)
          sendHtml(res, 500, page('Sign-in', '<p class="error">The dev issuer failed.</p>'));
        else res.end();
      });
      return;
    }
    callback(req, res);
  };

  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
