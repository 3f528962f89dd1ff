/**
 * The dev issuer's oidc-provider: two public clients, `hallpass-cli` with the device authorization
 * grant (RFC 8628), refresh tokens, and the authorization code grant with PKCE to a loopback
 * `/callback` on any port (`hallpass login --browser`), and `hallpass-console` (the web console) with the authorization
 * code grant and PKCE, redirecting to the console on any loopback port; access tokens that are JWTs for the audience carrying `sub`,
 * `groups` (and `name`/`preferred_username` when a name was given), signed with the dev key, and a
 * sign-in that asks who you are every time. Grants, sessions and refresh tokens live in memory.
 */
import { randomBytes } from 'node:crypto';
import type { IssuerKey } from './keys.ts';
import {
  type DevUser,
  loadOidcProvider,
  memoryAdapter,
  type OidcProvider,
  type OidcToken,
  RESOURCE,
} from './oidc.ts';
import { deviceFlowPages, renderError } from './pages.ts';

/** The public client `hallpass login` uses against the dev issuer. */
export const DEV_CLIENT_ID = 'hallpass-cli';
/**
 * The public client of the web console (`npm start`'s `http://127.0.0.1:<PORT>/`). A native client to
 * oidc-provider only for RFC 8252's loopback rule: its redirect URI matches on any port, so the
 * issuer needs no word of the API's PORT.
 */
export const CONSOLE_CLIENT_ID = 'hallpass-console';
const CONSOLE_REDIRECT_URI = 'http://127.0.0.1/';
/** `hallpass login --browser`'s one-shot listener: any port, as for the console (RFC 8252 section 7.3). */
const CLI_REDIRECT_URI = 'http://127.0.0.1/callback';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface ProviderSettings {
  /** The issuer URL (it names the port the issuer listens on). */
  url: string;
  key: IssuerKey;
  /** The `aud` of device-flow access tokens. */
  audience: string;
  /** Lifetime of device-flow access tokens, in seconds. */
  accessTokenTtl: number;
  /** Who signed in, by grant id: filled in by the sign-in page, read here into the tokens. */
  users: Map<string, DevUser>;
}

/** A configured oidc-provider instance for the dev issuer. */
export async function createProvider(settings: ProviderSettings): Promise<OidcProvider> {
  const { url, key, audience, accessTokenTtl, users } = settings;
  const { default: Provider, interactionPolicy } = await loadOidcProvider();

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

  const userClaims = (user: DevUser | undefined) => ({
    ...(user?.name ? { name: user.name, preferred_username: user.name } : {}),
    ...(user ? { groups: user.groups } : {}),
  });

  return new Provider(url, {
    adapter: memoryAdapter(),
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        client_name: 'hallpass CLI',
        token_endpoint_auth_method: 'none',
        grant_types: [DEVICE_CODE_GRANT, 'authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [CLI_REDIRECT_URI],
        application_type: 'native',
      },
      {
        client_id: CONSOLE_CLIENT_ID,
        client_name: 'hallpass console',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [CONSOLE_REDIRECT_URI],
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
          return { sub, ...userClaims(user) };
        },
      };
    },
    async extraTokenClaims(_ctx: unknown, token: OidcToken) {
      const user = token.grantId ? users.get(token.grantId) : undefined;
      if (!user) return undefined;
      return userClaims(user);
    },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    // The console's token request is a cross-origin fetch from the API's origin: allowed for its
    // client from a loopback origin alone, never for the CLI (which is no browser).
    clientBasedCORS: (_ctx: unknown, origin: string, client: { clientId: string }) =>
      client.clientId === CONSOLE_CLIENT_ID && /^http:\/\/127\.0\.0\.1:\d+$/.test(origin),
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
      deviceFlow: { enabled: true, ...deviceFlowPages },
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
    renderError,
  });
}
