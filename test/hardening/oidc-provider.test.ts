/**
 * hallpass against a real OpenID provider (oidc-provider): it issues RFC 9068 JWT access tokens
 * (client credentials grant, resource indicator `urn:hallpass`, audience `hallpass`); hallpass finds
 * its keys through discovery and accepts them. Then the provider rotates its signing key: tokens
 * signed with the new key are accepted after exactly one JWKS refetch, and once the old key is
 * withdrawn, tokens signed with it are refused.
 *
 * All of it twice: with the provider as hallpass's primary issuer (its principals as they are), and
 * as a further issuer named `ci` (HALLPASS_ISSUERS), whose principals are `ci:<sub>` and which a
 * catalog grants the sandbox by its exact principal (requesterPrincipals).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectInvariants, type Harness, startHarness } from '../support/hardening.ts';

// oidc-provider ships no type declarations: the little used here, typed locally (a string specifier
// keeps TypeScript from looking for the module's types).
interface Provider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
interface OidcProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => Provider;
  errors: { InvalidTarget: new () => Error };
}
const specifier: string = 'oidc-provider';
const { default: OidcProvider, errors } = (await import(specifier)) as OidcProviderModule;

const CLIENT = { id: 'hallpass-ci', secret: 'a-client-secret-for-the-hardening-suite-only' };
let h: Harness;
let server: Server;
let issuer: string;
let current: Provider;
const fetches = { jwks: 0, discovery: 0 };

/** The catalog of the `ci` kind: the example's, with the sandbox granted to `ci:hallpass-ci`. */
const ciCatalog = join(mkdtempSync(join(tmpdir(), 'hallpass-oidc-')), 'catalog.yaml');
writeFileSync(
  ciCatalog,
  readFileSync('catalog/example.yaml', 'utf8').replace(
    'requesterGroups: [engineers]',
    `requesterGroups: [engineers]\n    requesterPrincipals: ['ci:${CLIENT.id}']`,
  ),
);

/** How hallpass trusts the provider: as its primary issuer, or as the further issuer `ci`. */
const KINDS = {
  primary: {
    env: () => ({ HALLPASS_ISSUER: issuer }),
    principal: { sub: CLIENT.id, name: 'CI pipeline', groups: ['engineers'] },
    sourceIdentity: CLIENT.id,
  },
  further: {
    env: () => ({
      HALLPASS_CATALOG: ciCatalog,
      HALLPASS_ISSUERS: JSON.stringify([{ name: 'ci', issuer, audience: 'hallpass', algorithms: ['RS256'] }]),
    }),
    principal: { sub: `ci:${CLIENT.id}`, name: 'CI pipeline', groups: ['ci:engineers'] },
    // What CloudTrail shows: the namespaced principal, `:` escaped for STS.
    sourceIdentity: `ci=3A${CLIENT.id}`,
  },
} as const;

async function signingKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

/** A provider on the shared issuer URL, signing with the first of `keys` and publishing all of them. */
function provider(keys: JWK[]): Provider {
  return new OidcProvider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:hallpass',
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          const audience = { 'urn:hallpass': 'hallpass', 'urn:other': 'other' }[resource];
          if (!audience) throw new errors.InvalidTarget();
          return {
            scope: 'vend',
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: () => ({ groups: ['engineers'], preferred_username: 'CI pipeline' }),
  });
}

async function accessToken(resource = 'urn:hallpass'): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'vend' }),
  });
  const body = (await response.json()) as {
    access_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!body.access_token) throw new Error(`token endpoint: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

beforeAll(async () => {
  h = await startHarness();
  server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/jwks') fetches.jwks += 1;
    if (path === '/.well-known/openid-configuration') fetches.discovery += 1;
    current.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  current = provider([await signingKey('key-1')]);
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await h.restore();
  rmSync(dirname(ciCatalog), { recursive: true, force: true });
});

afterEach(async () => {
  vi.useRealTimers();
  await expectInvariants(h);
});

const advance = (seconds: number) => {
  const target = Date.now() + seconds * 1000;
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(target);
};
const decode = (token: string, part: 0 | 1) =>
  JSON.parse(Buffer.from(token.split('.')[part] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe.each(Object.keys(KINDS) as Array<keyof typeof KINDS>)('the provider as the %s issuer', (kind) => {
  const trust = () => h.coldStart(KINDS[kind].env());
  beforeAll(async () => {
    current = provider([await signingKey('key-1')]);
  });

  describe('tokens from a real OpenID provider', () => {
    it('are accepted: discovery, then the JWKS, each fetched once; the session names the client', async () => {
      await trust();
      const before = { ...fetches };
      const token = await accessToken();
      expect(decode(token, 0)).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: 'key-1' });
      expect(decode(token, 1)).toMatchObject({ iss: issuer, aud: 'hallpass', sub: CLIENT.id });

      const listed = await h.call('entitlements', { path: '/v1/entitlements', token });
      expect(listed.status).toBe(200);
      const vend = await h.call('credentials', {
        path: '/v1/credentials',
        token: await accessToken(),
        body: { entitlementId: 'sandbox-readonly' },
      });
      expect(vend.status).toBe(200);
      expect(vend.body.session.principal).toEqual(KINDS[kind].principal);
      expect(vend.body.session.sourceIdentity).toBe(KINDS[kind].sourceIdentity);
      expect(fetches.discovery - before.discovery).toBe(1);
      expect(fetches.jwks - before.jwks).toBe(1);
    });

    it("refuses the same provider's tokens for another resource (audience), and its opaque tokens", async () => {
      await trust();
      const other = await accessToken('urn:other');
      expect(decode(other, 1).aud).toBe('other');
      const answer = await h.call('entitlements', { path: '/v1/entitlements', token: other });
      expect(answer.status).toBe(401);
      const opaque = await h.call('entitlements', {
        path: '/v1/entitlements',
        token: 'Vx4QhUfNKDZo2ZDPQGOkkIitt',
      });
      expect(opaque.status).toBe(401);
    });
  });

  describe('key rotation at the provider', () => {
    it('accepts tokens signed with the new key after exactly one JWKS refetch, and refuses the withdrawn key', async () => {
      const key1 = await signingKey('key-1');
      current = provider([key1]);
      await trust();
      const oldToken = await accessToken();
      expect((await h.call('entitlements', { path: '/v1/entitlements', token: oldToken })).status).toBe(200);
      const afterFirstFetch = fetches.jwks;

      // Rotation, step 1: a new provider instance on the same issuer signs with key-2 and still
      // publishes key-1 (tokens already out there stay valid).
      const key2 = await signingKey('key-2');
      current = provider([key2, key1]);
      advance(31);
      const newToken = await accessToken();
      expect(decode(newToken, 0).kid).toBe('key-2');
      expect((await h.call('entitlements', { path: '/v1/entitlements', token: newToken })).status).toBe(200);
      expect(fetches.jwks - afterFirstFetch).toBe(1);
      for (let i = 0; i < 5; i++) {
        expect(
          (await h.call('entitlements', { path: '/v1/entitlements', token: await accessToken() })).status,
        ).toBe(200);
      }
      expect((await h.call('entitlements', { path: '/v1/entitlements', token: oldToken })).status).toBe(200);
      expect(fetches.jwks - afterFirstFetch).toBe(1);

      // Step 2: key-1 is withdrawn and key-3 signs. The first key-3 token costs one refetch, which
      // also drops key-1: a key-1 token is refused from then on.
      const key3 = await signingKey('key-3');
      current = provider([key3]);
      advance(31);
      const third = await accessToken();
      expect(decode(third, 0).kid).toBe('key-3');
      expect(
        (
          await h.call('credentials', {
            path: '/v1/credentials',
            token: third,
            body: { entitlementId: 'sandbox-readonly' },
          })
        ).status,
      ).toBe(200);
      expect(fetches.jwks - afterFirstFetch).toBe(2);
      const refused = await h.call('entitlements', { path: '/v1/entitlements', token: oldToken });
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('unauthenticated');
      expect(fetches.jwks - afterFirstFetch).toBe(2);
    });
  });
});
