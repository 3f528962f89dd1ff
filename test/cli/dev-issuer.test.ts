/**
 * The dev issuer of `npm start` (local/issuer/), in process: discovery and JWKS as before (so
 * `npm run token` tokens keep verifying), and the device authorization grant with the dev sign-in
 * page, whose access tokens the API's own authenticator (lib/adapters/auth.ts) accepts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../lib/adapters/auth.ts';
import { type IssuerKey, loadOrCreateIssuerKey, signDevToken } from '../../local/issuer/keys.ts';
import { type DevIssuer, startDevIssuer } from '../../local/issuer/server.ts';
import { Browser, completeDeviceSignIn, readForm } from './support/browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'hallpass-dev-issuer-'));
let key: IssuerKey;
let issuer: DevIssuer;
let discovery: Record<string, string>;

const authenticate = () =>
  createAuthenticator({
    issuer: issuer.url,
    audience: 'hallpass',
    jwksUri: undefined, // from discovery, as the API does by default
    algorithms: ['RS256'],
    claims: { principal: 'sub', name: ['email', 'preferred_username'], groups: 'groups' },
  });

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function deviceAuthorization() {
  const response = await fetch(
    discovery.device_authorization_endpoint as string,
    form({ client_id: 'hallpass-cli', scope: 'openid offline_access' }),
  );
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, string>;
}

const token = async (fields: Record<string, string>) => {
  const response = await fetch(
    discovery.token_endpoint as string,
    form({ client_id: 'hallpass-cli', ...fields }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, string> };
};

const deviceToken = (deviceCode: string) =>
  token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode });

beforeAll(async () => {
  key = await loadOrCreateIssuerKey(join(dir, 'issuer-key.json'));
  issuer = await startDevIssuer(key, 0);
  discovery = (await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json()) as Record<
    string,
    string
  >;
});

afterAll(async () => {
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dev issuer', () => {
  it('publishes discovery and the dev key at the same addresses as before', async () => {
    expect(discovery).toMatchObject({
      issuer: issuer.url,
      jwks_uri: `${issuer.url}/.well-known/jwks.json`,
      device_authorization_endpoint: `${issuer.url}/device/auth`,
      token_endpoint: `${issuer.url}/token`,
    });
    const jwks = (await (await fetch(discovery.jwks_uri as string)).json()) as {
      keys: Array<Record<string, string>>;
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kid: key.publicJwk.kid,
      n: key.publicJwk.n,
      e: key.publicJwk.e,
      kty: 'RSA',
    });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('still verifies the tokens `npm run token` signs', async () => {
    const jwt = await signDevToken(key, issuer.url, {
      sub: 'alice',
      groups: ['engineers'],
      audience: 'hallpass',
      expiresIn: 300,
    });
    expect(await authenticate()(`Bearer ${jwt}`)).toMatchObject({ sub: 'alice', groups: ['engineers'] });
  });

  it('issues JWT access tokens for aud hallpass with sub and groups, which the API accepts, and refreshes them', async () => {
    const device = await deviceAuthorization();
    expect((await deviceToken(device.device_code as string)).body.error).toBe('authorization_pending');
    await completeDeviceSignIn(device.verification_uri as string, device.user_code as string, {
      sub: 'auth0|42',
      groups: ['engineers', 'approvers'],
      name: 'Alice Doe',
    });
    const { status, body } = await deviceToken(device.device_code as string);
    expect(status).toBe(200);
    expect(decodeProtectedHeader(body.access_token as string)).toMatchObject({
      alg: 'RS256',
      kid: key.publicJwk.kid,
    });
    const principal = await authenticate()(`Bearer ${body.access_token}`);
    expect(principal).toMatchObject({
      sub: 'auth0|42',
      name: 'Alice Doe',
      groups: ['engineers', 'approvers'],
    });
    expect(principal.claims).toMatchObject({ iss: issuer.url, aud: 'hallpass' });

    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token as string,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(body.refresh_token);
    expect(await authenticate()(`Bearer ${refreshed.body.access_token}`)).toMatchObject({
      sub: 'auth0|42',
      groups: ['engineers', 'approvers'],
    });
  });

  it('follows verification_uri_complete too, and asks who you are on every sign-in in the same browser', async () => {
    const browser = new Browser();
    for (const sub of ['bob', 'carol']) {
      const device = await deviceAuthorization();
      // The complete URI carries the code: straight to "does your terminal show this code?".
      const confirm = await browser.get(device.verification_uri_complete as string);
      expect(confirm.html).toContain(device.user_code);
      const confirmForm = readForm(confirm.html, confirm.url, 'op.deviceConfirmForm');
      const signIn = await browser.submit(confirmForm.action, confirmForm.fields);
      expect(signIn.html).toContain('Sign in as a dev user'); // asked again, though signed in before
      const signInForm = readForm(signIn.html, signIn.url);
      // Signing in as someone else ends the previous dev session first (a self-submitting logout form).
      const done = await browser.submit(signInForm.action, { sub, groups: 'approvers' });
      expect(done.html).toContain('You are signed in');
      const { body } = await deviceToken(device.device_code as string);
      expect(await authenticate()(`Bearer ${body.access_token}`)).toMatchObject({
        sub,
        name: sub,
        groups: ['approvers'],
      });
    }
  });

  it('refuses the device code when the user aborts, and a wrong code on the page', async () => {
    const device = await deviceAuthorization();
    const browser = new Browser();
    const entry = await browser.get(device.verification_uri as string);
    const codeForm = readForm(entry.html, entry.url);
    const wrong = await browser.submit(codeForm.action, { ...codeForm.fields, user_code: 'BCDF-GHJK' });
    expect(wrong.html).toContain('That code is not valid');
    const again = readForm(wrong.html, wrong.url);
    const confirm = await browser.submit(again.action, {
      ...again.fields,
      user_code: device.user_code as string,
    });
    const confirmForm = readForm(confirm.html, confirm.url, 'op.deviceConfirmForm');
    const { confirm: _yes, ...fields } = confirmForm.fields;
    await browser.submit(confirmForm.action, { ...fields, abort: 'yes' });
    expect((await deviceToken(device.device_code as string)).body.error).toBe('access_denied');
  });
});
