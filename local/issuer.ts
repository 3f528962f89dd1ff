/**
 * The dev OIDC issuer of local mode: a discovery document and a JWKS over HTTP, and a signing key
 * that exists only on this machine (under .hallpass/). `npm run token` signs with the same key.
 * It is a test fixture: it never runs in a deployment.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
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

/** Serves `/.well-known/openid-configuration` and `/.well-known/jwks.json` on 127.0.0.1:port. */
export async function startDevIssuer(key: IssuerKey, port: number): Promise<DevIssuer> {
  let url = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'method_not_allowed' });
    if (path === '/.well-known/openid-configuration') {
      return send(200, {
        issuer: url,
        jwks_uri: `${url}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
      });
    }
    if (path === '/.well-known/jwks.json') return send(200, { keys: [key.publicJwk] });
    return send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
