/**
 * JWT attack tooling: an OIDC issuer the test controls (discovery document and JWKS, counting every
 * fetch, able to fail on demand), a trap server that counts any request that reaches it (for `jku`
 * and `x5u` headers, which must never be followed), and a raw JWS signer that puts any header and
 * payload it is given into a token, including ones jose would refuse to produce.
 */
import { constants, createHmac, createSign, KeyObject, sign as signRaw } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll } from 'vitest';
import { type AuthSettings, createAuthenticator } from '../../lib/adapters/auth.ts';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'PS256' | 'EdDSA';
  privateKey: KeyObject;
  publicJwk: JWK;
}

export async function newSigningKey(kid: string, alg: SigningKey['alg'] = 'RS256'): Promise<SigningKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const privateKey = KeyObject.from(pair.privateKey as Parameters<typeof KeyObject.from>[0]);
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
}

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs exactly this header and payload (no validation): the signing input is `b64(header).b64(payload)`. */
export function signJws(header: Record<string, unknown>, payload: unknown, key: SigningKey | null): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  if (!key) return `${input}.`;
  let signature: Buffer;
  if (key.alg === 'RS256') signature = createSign('RSA-SHA256').update(input).sign(key.privateKey);
  else if (key.alg === 'PS256')
    signature = createSign('RSA-SHA256')
      .update(input)
      .sign({ key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  else if (key.alg === 'ES256')
    signature = createSign('SHA256').update(input).sign({ key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  else signature = signRaw(null, Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** HS256 over the signing input with an arbitrary secret (the key-confusion attack). */
export function signHs256(
  header: Record<string, unknown>,
  payload: unknown,
  secret: string | Buffer,
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

interface Counting {
  url: string;
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** A server that answers everything with a JWKS-looking 200 and counts what reached it. */
export async function startTrapServer(): Promise<Counting> {
  const requests: Counting['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"keys":[]}');
  });
  const url = await listen(server);
  return { url, requests, close: closer(server) };
}

export type KeyServerMode = 'ok' | 'error' | 'hang' | 'garbage' | 'not-a-jwks' | 'redirect';

export interface KeyServer extends Counting {
  /** The issuer URL: discovery at `<url>/.well-known/openid-configuration`. */
  issuer: string;
  jwksUri: string;
  /** JWKS fetches so far. */
  jwksHits(): number;
  discoveryHits(): number;
  setKeys(keys: JWK[]): void;
  setMode(mode: KeyServerMode, redirectTo?: string): void;
}

/** An OIDC issuer under the test's control. */
export async function startKeyServer(keys: JWK[]): Promise<KeyServer> {
  const requests: Counting['requests'] = [];
  let current = keys;
  let mode: KeyServerMode = 'ok';
  let redirect = '';
  let url = '';
  const hanging = new Set<IncomingMessage>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ method: req.method ?? '', path });
    if (mode === 'hang') {
      hanging.add(req);
      return;
    }
    if (mode === 'error') {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error');
      return;
    }
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks.json` }));
      return;
    }
    if (path !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    if (mode === 'redirect') {
      res.writeHead(302, { Location: redirect }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (mode === 'garbage') res.end('<html>maintenance</html>');
    else if (mode === 'not-a-jwks') res.end(JSON.stringify({ keys: 'none' }));
    else res.end(JSON.stringify({ keys: current }));
  });
  url = await listen(server);
  const count = (path: string) => requests.filter((r) => r.path === path).length;
  return {
    url,
    issuer: url,
    jwksUri: `${url}/jwks.json`,
    requests,
    jwksHits: () => count('/jwks.json'),
    discoveryHits: () => count('/.well-known/openid-configuration'),
    setKeys: (next) => {
      current = next;
    },
    setMode: (next, to = '') => {
      mode = next;
      redirect = to;
    },
    close: closer(server),
  };
}

/**
 * One issuer for a test file: a key server with one RS256 key (started before the file's tests,
 * closed after), an authenticator that trusts it (audience `hallpass`; `settings` override), and
 * Bearer tokens it signs: `iss`, `aud`, `sub` (`sub` given), `iat` now and `exp` in ten minutes,
 * then `claims` (`undefined` removes one).
 */
export function useTestIssuer(kid: string, sub: string) {
  let ks: KeyServer;
  let key: SigningKey;
  beforeAll(async () => {
    key = await newSigningKey(kid);
    ks = await startKeyServer([key.publicJwk]);
  });
  afterAll(() => ks.close());
  const now = () => Math.floor(Date.now() / 1000);
  return {
    authenticate: (settings: Partial<AuthSettings> = {}) =>
      createAuthenticator({
        issuer: ks.issuer,
        audience: 'hallpass',
        jwksUri: ks.jwksUri,
        algorithms: ['RS256'],
        claims: { principal: 'sub', name: ['email', 'preferred_username'], groups: 'groups' },
        ...settings,
      }),
    token: (claims: Record<string, unknown> = {}): string => {
      const payload: Record<string, unknown> = {
        iss: ks.issuer,
        aud: 'hallpass',
        sub,
        iat: now(),
        exp: now() + 600,
      };
      for (const [name, value] of Object.entries(claims)) {
        if (value === undefined) delete payload[name];
        else payload[name] = value;
      }
      return `Bearer ${signJws({ alg: 'RS256', kid: key.kid, typ: 'JWT' }, payload, key)}`;
    },
  };
}
