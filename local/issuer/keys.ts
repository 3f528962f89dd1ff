/**
 * The dev issuer's signing key, and tokens signed with it as the dev issuer would issue them. The key
 * exists only on this machine (under .hallpass/ for `npm start`, in memory for the tests, the
 * benchmark and the load script); the issuer publishes its public half in its JWKS.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

export interface IssuerKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A new RS256 signing key, in memory. */
export async function createIssuerKey(): Promise<IssuerKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

/** Loads the dev signing key from `file`, creating it (mode 0600) on first use. */
export async function loadOrCreateIssuerKey(file: string): Promise<IssuerKey> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as IssuerKey;
  const key = await createIssuerKey();
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
