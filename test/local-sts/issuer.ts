// A tiny OIDC issuer for the web identity tests: discovery and a JWKS over HTTP on loopback, tokens
// signed with its current RS256 key, and key rotation on demand.
import { createServer } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { listenOnLoopback } from '../../local/loopback.ts';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface TestIssuer {
  url: string;
  /** The key ids the JWKS publishes now. */
  kids(): string[];
  /**
   * A token with sensible defaults (this issuer, aud sts.amazonaws.com, issued now, valid 5 min)
   * overridden by `claims`, signed with the current key unless `with` gives another.
   */
  token(
    claims?: JWTPayload & Record<string, unknown>,
    sign?: { with?: SigningKey; kid?: string },
  ): Promise<string>;
  /** Publishes a new key (and withdraws the old one): later tokens carry the new kid. */
  rotate(): Promise<void>;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  close(): Promise<void>;
}

let counter = 0;

/** An RS256 key that no issuer publishes, for forging tokens. */
export async function makeKey(kid = `key-${++counter}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export async function startTestIssuer(): Promise<TestIssuer> {
  let current = await makeKey();
  let fetches = 0;
  let url = '';
  const server = createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      json({ issuer: url, jwks_uri: `${url}/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    } else if (req.url === '/jwks.json') {
      fetches++;
      json({ keys: [current.publicJwk] });
    } else {
      res.writeHead(404).end();
    }
  });
  const listening = await listenOnLoopback(server);
  url = listening.url;

  return {
    url,
    kids: () => [current.kid],
    async token(claims = {}, sign = {}) {
      const key = sign.with ?? current;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: url,
        aud: 'sts.amazonaws.com',
        sub: 'sandbox-poweruser:alice@example.com',
        iat: now,
        exp: now + 300,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: sign.kid ?? key.kid })
        .sign(key.privateKey);
    },
    async rotate() {
      current = await makeKey();
    },
    jwksFetches: () => fetches,
    close: listening.close,
  };
}

/** A loopback URL nothing listens on: an issuer that is down. */
export async function unreachableUrl(): Promise<string> {
  const listening = await listenOnLoopback(createServer());
  await listening.close();
  return listening.url;
}
