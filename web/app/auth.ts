/**
 * Sign-in with the OIDC issuer: authorization code with PKCE (S256), as a public client. The access
 * token lives in sessionStorage only (this tab, gone when it closes); the PKCE verifier and state
 * live there only between the redirect and the token request. Nothing goes to localStorage or a
 * cookie, and the code leaves the address bar before it is exchanged.
 */

import { settings } from './settings.ts';
import { store } from './store.ts';

const TOKEN = 'hallpass.token';
const PENDING = 'hallpass.sign-in';

export interface User {
  sub: string;
  name: string;
  groups: string[];
  expiresAt: number;
}

const redirectUri = () => `${location.origin}/`;

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** The user the token names, read from its claims (the API verifies it; this only displays). */
function userOf(token: string | null): User | null {
  if (!token) return null;
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    const sub = String(claims[settings.claims.principal] ?? '');
    // As the API: an email names a person only when the issuer verified it.
    const name = settings.claims.name
      .filter((claim) => claim !== 'email' || claims.email_verified === true)
      .map((claim) => claims[claim])
      .find((v) => typeof v === 'string');
    const groups = claims[settings.claims.groups];
    return {
      sub,
      name: name ?? sub,
      groups: Array.isArray(groups) ? groups.filter((g) => typeof g === 'string') : [],
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : 0,
    };
  } catch {
    return null;
  }
}

/** The signed-in user, or null. */
export const user = store<User | null>(userOf(sessionStorage.getItem(TOKEN)));
/** Why the last sign-in failed, for the signed-out page. */
export const signInError = store<string | null>(null);

/** The bearer token for the API, read each time: a new sign-in replaces it. */
export const token = () => sessionStorage.getItem(TOKEN);

async function discovery(): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const answer = await fetch(`${settings.issuer}/.well-known/openid-configuration`);
  if (!answer.ok) throw new Error(`the issuer answered ${answer.status}`);
  return answer.json();
}

/**
 * Goes to the issuer's sign-in page; back here, `completeSignIn` picks up where the person was
 * (the page in the address bar's fragment; forms keep their drafts themselves).
 */
export async function signIn(): Promise<void> {
  if (!settings.issuer) {
    signInError.value = 'This console was built without an issuer (HALLPASS_ISSUER): it cannot sign in.';
    return;
  }
  const { authorization_endpoint } = await discovery();
  const state = random();
  const verifier = random();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, returnTo: location.hash }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    scope: settings.scope,
    state,
    code_challenge: base64url(digest),
    code_challenge_method: 'S256',
    ...(settings.resource ? { resource: settings.resource } : {}),
  }).toString();
  location.assign(url.toString());
}

/** On the way back from the issuer: checks the state, trades the code for a token. */
export async function completeSignIn(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    state: string;
    verifier: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  // The code must not stay in the address bar, the history or a bookmark.
  history.replaceState(null, '', `/${pending?.returnTo ?? ''}`);
  if (params.has('error')) {
    signInError.value = `Sign-in failed: ${params.get('error_description') || params.get('error')}`;
    return;
  }
  if (!pending || params.get('state') !== pending.state) {
    signInError.value = 'Sign-in failed: the answer did not match this sign-in. Try again.';
    return;
  }
  try {
    const { token_endpoint } = await discovery();
    const answer = await fetch(token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code') ?? '',
        redirect_uri: redirectUri(),
        client_id: settings.clientId,
        code_verifier: pending.verifier,
        ...(settings.resource ? { resource: settings.resource } : {}),
      }),
    });
    const body = (await answer.json()) as {
      access_token?: string;
      error?: string;
      error_description?: string;
    };
    if (!answer.ok || !body.access_token)
      throw new Error(body.error_description || body.error || `the issuer answered ${answer.status}`);
    sessionStorage.setItem(TOKEN, body.access_token);
    user.value = userOf(body.access_token);
  } catch (error) {
    signInError.value = `Sign-in failed: ${(error as Error).message}`;
  }
}

/** Forgets the token (and every draft) in this tab. */
export function signOut(): void {
  sessionStorage.clear();
  user.value = null;
}

/** The token expired or was refused: sign in again, keeping the page and the drafts. */
export function signInAgain(): Promise<void> {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.setItem('hallpass.resumed', '1');
  return signIn();
}
