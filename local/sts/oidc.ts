// The local STS's only outbound I/O: an OIDC issuer's discovery document and key set, fetched as AWS
// fetches them to verify a web identity token, and kept briefly so that a burst of calls does not
// fetch them again and again.
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { MESSAGES, StsError } from './errors.ts';

export interface IssuerKeysOptions {
  /** Per request (discovery and key set each); an issuer slower than this counts as unreachable. */
  timeoutMs?: number;
  /** How long a fetched key set serves without asking the issuer again. */
  cacheMs?: number;
}

const defaults = { timeoutMs: 3000, cacheMs: 60_000 };

export type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export interface IssuerKeys {
  /**
   * The issuer's keys, from the cache unless `fresh` (a token named a key id the cached set lacks:
   * the issuer may have rotated its keys since).
   */
  resolver(issuer: string, fresh: boolean): Promise<KeyResolver>;
}

export function issuerKeys(options: IssuerKeysOptions = {}): IssuerKeys {
  const { timeoutMs, cacheMs } = { ...defaults, ...options };
  const cache = new Map<string, { fetchedAt: number; resolver: KeyResolver }>();

  async function getJson(url: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    } catch {
      throw new StsError('IDPCommunicationError', MESSAGES.idpUnreachable);
    }
    if (!response.ok) throw new StsError('IDPCommunicationError', MESSAGES.idpUnreachable);
    try {
      return await response.json();
    } catch {
      // Reached, but it did not answer with a document: the issuer is misconfigured, not down.
      throw new StsError('InvalidIdentityToken', MESSAGES.noVerificationKey);
    }
  }

  async function fetchKeys(issuer: string): Promise<KeyResolver> {
    const discovery = await getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    const jwksUri = (discovery as { jwks_uri?: unknown } | null)?.jwks_uri;
    if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) {
      throw new StsError('InvalidIdentityToken', MESSAGES.noVerificationKey);
    }
    const jwks = await getJson(jwksUri);
    try {
      return createLocalJWKSet(jwks as JSONWebKeySet);
    } catch {
      throw new StsError('InvalidIdentityToken', MESSAGES.noVerificationKey);
    }
  }

  return {
    async resolver(issuer, fresh) {
      const cached = cache.get(issuer);
      if (cached && !fresh && Date.now() - cached.fetchedAt < cacheMs) return cached.resolver;
      const resolver = await fetchKeys(issuer);
      cache.set(issuer, { fetchedAt: Date.now(), resolver });
      return resolver;
    },
  };
}
