/**
 * The OIDC side of the CLI: discovery, the device authorization grant (RFC 8628) and refresh tokens
 * (RFC 6749 section 6), for a public client (no secret: none is ever configured or sent). The
 * browser sign-in for issuers without the device flow is in loopback.ts. Tokens are stored per
 * profile in `<config dir>/tokens/<profile>.json` (0600).
 */

import { join } from 'node:path';
import { decodeJwt } from 'jose';
import * as z from '../lib/zod.ts';
import { normaliseIssuer, type Settings } from './config.ts';
import { CliError } from './errors.ts';
import { readJsonFile, removeFile, writePrivateFile } from './files.ts';

const USER_AGENT = 'hallpass-cli';

const Discovery = z.object({
  issuer: z.string(),
  token_endpoint: z.string(),
  authorization_endpoint: z.optional(z.string()),
  device_authorization_endpoint: z.optional(z.string()),
  revocation_endpoint: z.optional(z.string()),
});
export type Discovery = z.infer<typeof Discovery>;

const DeviceAuthorization = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.optional(z.string()),
  expires_in: z.number(),
  interval: z.optional(z.number()),
});
export type DeviceAuthorization = z.infer<typeof DeviceAuthorization>;

export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.optional(z.string()),
  expires_in: z.optional(z.number()),
  refresh_token: z.optional(z.string()),
  id_token: z.optional(z.string()),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/**
 * What some issuers need besides the client and scopes to issue an access token for the API:
 * Auth0 the API's `audience`, others an RFC 8707 `resource`. Sent only when configured.
 */
export interface TokenTarget {
  audience?: string | undefined;
  resource?: string | undefined;
}

/** The target's parameters, for a form or a query string (the unset ones left out). */
export function targetParameters(target: TokenTarget): Record<string, string> {
  return {
    ...(target.audience ? { audience: target.audience } : {}),
    ...(target.resource ? { resource: target.resource } : {}),
  };
}

const OAuthError = z.object({ error: z.string(), error_description: z.optional(z.string()) });

export const StoredTokens = z.object({
  issuer: z.string(),
  clientId: z.string(),
  tokenEndpoint: z.string(),
  revocationEndpoint: z.optional(z.string()),
  accessToken: z.string(),
  refreshToken: z.optional(z.string()),
  idToken: z.optional(z.string()),
  /** Epoch seconds. */
  expiresAt: z.number(),
});
export type StoredTokens = z.infer<typeof StoredTokens>;

export async function fetchJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...init.headers },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach ${new URL(url).origin}: ${reason(error)}`);
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw new CliError(`${url} answered ${response.status} with a body that is not JSON`);
  }
}

export function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

export async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const { status, body } = await fetchJson(url);
  const parsed = Discovery.safeParse(body);
  if (status !== 200 || !parsed.success)
    throw new CliError(`${url} is not an OpenID Connect discovery document (HTTP ${status})`);
  // The endpoints that receive codes and refresh tokens follow the same rule as the issuer itself.
  const { token_endpoint, device_authorization_endpoint, authorization_endpoint } = parsed.data;
  for (const endpoint of [token_endpoint, device_authorization_endpoint, authorization_endpoint]) {
    if (endpoint) normaliseIssuer(endpoint);
  }
  return parsed.data;
}

export const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

export async function startDeviceAuthorization(
  discovery: Discovery,
  clientId: string,
  scope: string,
  target: TokenTarget = {},
): Promise<DeviceAuthorization> {
  if (!discovery.device_authorization_endpoint)
    throw new CliError(`the issuer ${discovery.issuer} does not offer the device authorization grant`);
  const { status, body } = await fetchJson(
    discovery.device_authorization_endpoint,
    form({ client_id: clientId, scope, ...targetParameters(target) }),
  );
  const parsed = DeviceAuthorization.safeParse(body);
  if (status !== 200 || !parsed.success) throw oauthFailure('the device authorization request', status, body);
  return parsed.data;
}

export function oauthFailure(what: string, status: number, body: unknown): CliError {
  const error = OAuthError.safeParse(body);
  const detail = error.success
    ? `${error.data.error}${error.data.error_description ? `: ${error.data.error_description}` : ''}`
    : `HTTP ${status}`;
  return new CliError(`${what} failed (${detail})`);
}

export interface PollOptions {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Polls the token endpoint (RFC 8628 section 3.4) until the user signs in, refuses, or the code expires. */
export async function pollDeviceToken(
  discovery: Discovery,
  clientId: string,
  device: DeviceAuthorization,
  options: PollOptions = {},
  target: TokenTarget = {},
): Promise<TokenResponse> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + device.expires_in * 1000;
  let interval = Math.max(1, device.interval ?? 5);
  for (;;) {
    await sleep(interval * 1000);
    if (now() > deadline)
      throw new CliError('the code expired before you signed in', 'run `hallpass login` again');
    const { status, body } = await fetchJson(
      discovery.token_endpoint,
      form({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: device.device_code,
        client_id: clientId,
        ...targetParameters(target),
      }),
    );
    const tokens = TokenResponse.safeParse(body);
    if (status === 200 && tokens.success) return tokens.data;
    const error = OAuthError.safeParse(body);
    const code = error.success ? error.data.error : '';
    if (code === 'authorization_pending') continue;
    if (code === 'slow_down') {
      interval += 5;
      continue;
    }
    if (code === 'access_denied') throw new CliError('the sign-in was refused or aborted in the browser');
    if (code === 'expired_token')
      throw new CliError('the code expired before you signed in', 'run `hallpass login` again');
    throw oauthFailure('signing in', status, body);
  }
}

export async function refreshTokens(stored: StoredTokens): Promise<StoredTokens> {
  if (!stored.refreshToken)
    throw new CliError('your hallpass sign-in has expired', 'run `hallpass login` to sign in again');
  const { status, body } = await fetchJson(
    stored.tokenEndpoint,
    form({ grant_type: 'refresh_token', refresh_token: stored.refreshToken, client_id: stored.clientId }),
  );
  const tokens = TokenResponse.safeParse(body);
  if (status !== 200 || !tokens.success) {
    const error = OAuthError.safeParse(body);
    if (error.success && error.data.error === 'invalid_grant')
      throw new CliError('your hallpass sign-in has expired', 'run `hallpass login` to sign in again');
    throw oauthFailure('refreshing your sign-in', status, body);
  }
  return toStored(stored, tokens.data);
}

/** Merges a token response into what is stored (a response without a refresh token keeps the old one). */
export function toStored(
  base: Pick<StoredTokens, 'issuer' | 'clientId' | 'tokenEndpoint' | 'revocationEndpoint'> & {
    refreshToken?: string | undefined;
    idToken?: string | undefined;
  },
  tokens: TokenResponse,
  now = Date.now(),
): StoredTokens {
  const exp = tokenExpiry(tokens.access_token);
  const expiresAt = exp ?? Math.floor(now / 1000) + (tokens.expires_in ?? 300);
  const refreshToken = tokens.refresh_token ?? base.refreshToken;
  const idToken = tokens.id_token ?? base.idToken;
  return {
    issuer: base.issuer,
    clientId: base.clientId,
    tokenEndpoint: base.tokenEndpoint,
    ...(base.revocationEndpoint ? { revocationEndpoint: base.revocationEndpoint } : {}),
    accessToken: tokens.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    ...(idToken ? { idToken } : {}),
    expiresAt,
  };
}

/** Claims of a JWT, read without verification: for display and cache keys only (the API verifies). */
export function readClaims(token: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

function tokenExpiry(token: string): number | undefined {
  const exp = readClaims(token)?.exp;
  return typeof exp === 'number' ? exp : undefined;
}

export const tokensFile = (settings: Pick<Settings, 'dir' | 'profile'>) =>
  join(settings.dir, 'tokens', `${settings.profile}.json`);

export function loadTokens(settings: Pick<Settings, 'dir' | 'profile'>): StoredTokens | undefined {
  const parsed = StoredTokens.safeParse(readJsonFile(tokensFile(settings)));
  return parsed.success ? parsed.data : undefined;
}

export function saveTokens(settings: Pick<Settings, 'dir' | 'profile'>, tokens: StoredTokens): string {
  const file = tokensFile(settings);
  writePrivateFile(file, `${JSON.stringify(tokens, null, 2)}\n`);
  return file;
}

export function deleteTokens(settings: Pick<Settings, 'dir' | 'profile'>): void {
  removeFile(tokensFile(settings));
}

/** Best effort (RFC 7009): a failure to revoke never fails `hallpass logout`. */
export async function revokeRefreshToken(stored: StoredTokens): Promise<boolean> {
  if (!stored.revocationEndpoint || !stored.refreshToken) return false;
  try {
    const response = await fetch(stored.revocationEndpoint, {
      ...form({ token: stored.refreshToken, token_type_hint: 'refresh_token', client_id: stored.clientId }),
      signal: AbortSignal.timeout(5000),
    });
    return response.ok;
  } catch {
    return false;
  }
}
