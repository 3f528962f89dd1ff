/**
 * Bearer token -> Principal. jose verifies the signature with a key from the issuer's JWKS (fetched
 * once per container, or read from the store of lib/adapters/jwks-store.ts while it is younger than
 * JWKS_MAX_AGE_MS; refetched at most once per cooldown for an unknown `kid`), the algorithm
 * against an allowlist of asymmetric algorithms, and iss, aud, exp and nbf with 60 s of tolerance;
 * then hallpass's own rules: a bounded lifetime (a stolen token must not work for a year), no `iat`
 * in the future, and an `email` claim that counts for identity only when the issuer verified it.
 * Anything doubtful is 401; an issuer whose keys cannot be fetched is 503, never a pass. Each fetch
 * from the issuer (discovery, JWKS) is timed and a failed one counted, as dependency `jwks`.
 *
 * Several issuers (people's and workloads'): the token's `iss`, read before anything is verified and
 * only to choose, picks the one configured issuer whose keys, audience, algorithms and claims apply;
 * an unknown `iss` is refused before any fetch. Each issuer has its own JWKS cache, stored JWKS item
 * and verified-token cache, so no key of one can ever verify a token of another. The first issuer is
 * the primary one: its principals are the claim's value as it is; every other issuer's are prefixed
 * with its name (`github:repo:org/app:ref:refs/heads/main`), and so are its groups, so that no
 * principal or group of one issuer is ever taken for another's (see principalFrom).
 *
 * Every refusal is a TokenRefusedError: one 401 for the client, and a stable `reason` (and the
 * issuer's name, never the token) for the `access.denied` log line.
 */
import { createHash } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { PRIMARY_ISSUER, type Principal } from '../core/principal.ts';
import { monotonicMs } from '../core/time.ts';
import { UnauthenticatedError, UpstreamUnavailableError } from '../errors.ts';
import { type JsonWebKeySet, type JwksStore, publicKeys, type StoredJwks } from './jwks-store.ts';
import type { Metrics } from './metrics.ts';

export interface AuthSettings {
  /**
   * The issuer's name in logs and, for every issuer but the first, the prefix of its principals and
   * groups (`<name>:<sub>`); the first (primary) issuer's defaults to `primary`.
   */
  name?: string | undefined;
  issuer: string;
  audience: string;
  jwksUri: string | undefined;
  algorithms: string[];
  claims: { principal: string; name: string[]; groups: string };
  /** The longest a token may live (exp - iat, and exp - now); 24 h when not set. */
  maxTokenAgeSeconds?: number | undefined;
}

export type Authenticate = (authorization: string | undefined) => Promise<Principal>;

/** The primary issuer's name when the settings give none (the Principal's `issuer`). */
export { PRIMARY_ISSUER };

/**
 * Why a token was refused, as the `access.denied` log line says it (stable: alarms key on these).
 * The client is told none of it beyond today's message: one 401 for all.
 */
export const REFUSAL = {
  missing: 'missing', // no Authorization header
  scheme: 'scheme', // not exactly one `Bearer <token>`
  tooLarge: 'too_large',
  malformed: 'malformed', // not a compact JWS, or a header/payload that does not decode
  keyHeader: 'key_header', // jku, x5u, jwk or x5c: the token names its own key
  issuer: 'issuer', // no `iss`, or one no configured issuer has
  audience: 'audience',
  algorithm: 'algorithm', // an algorithm outside the issuer's allowlist
  unknownKey: 'unknown_key', // no key of the issuer's JWKS matches
  signature: 'signature',
  expired: 'expired',
  notYetValid: 'not_yet_valid', // nbf, or iat, in the future beyond the tolerance
  tooOld: 'too_old', // lives longer than the maximum token age
  claims: 'claims', // a missing or ill-typed claim (exp, sub, ...)
  invalid: 'invalid', // anything else jose refuses
} as const;
export type Refusal = (typeof REFUSAL)[keyof typeof REFUSAL];

/** A refused token: 401 like every UnauthenticatedError, with why and by which issuer, for the log. */
export class TokenRefusedError extends UnauthenticatedError {
  constructor(
    message: string,
    readonly reason: Refusal,
    readonly issuerName?: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const refuse = (message: string, reason: Refusal, issuerName?: string, options?: ErrorOptions) =>
  new TokenRefusedError(message, reason, issuerName, options);

const MAX_TOKEN_BYTES = 8192;
const CLOCK_TOLERANCE_SECONDS = 60;
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 86400;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Headers that would let a token name its own key: never followed, so never accepted.
const KEY_LOCATING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const COOLDOWN_MS = 30_000;

const unavailable = (cause: unknown) =>
  new UpstreamUnavailableError('jwks', "the issuer's signing keys could not be fetched", {
    cause,
    retryAfterSeconds: 5,
  });

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** fetch, timed (UpstreamLatency jwks/<operation>) and counted when it fails or answers non-2xx. */
function measuredFetch(operation: 'jwks' | 'discovery', metrics: Metrics | undefined): Fetch {
  // `fetch` is read at the call, not here: reading Node's global loads its HTTP client (undici,
  // 15-25 ms), which a container that takes its keys from the store never needs.
  if (!metrics) return (url, init) => fetch(url, init);
  return async (url, init) => {
    const started = monotonicMs();
    let ok = false;
    try {
      const response = await fetch(url, init);
      ok = response.ok;
      return response;
    } finally {
      metrics.latency('jwks', operation, monotonicMs() - started);
      if (!ok) metrics.count('UpstreamError', { Dependency: 'jwks' });
    }
  };
}

/** The JWKS URI: configured, or read from the issuer's discovery document. */
async function discoverJwksUri(issuer: string, fetchDocument: Fetch): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetchDocument(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`discovery document answered ${response.status}`);
  const document = (await response.json()) as { jwks_uri?: unknown };
  if (typeof document.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
  return document.jwks_uri;
}

function readToken(authorization: string | undefined): string {
  if (!authorization) throw refuse('a bearer token is required', REFUSAL.missing);
  // API Gateway joins repeated headers with commas; a JWT never contains one.
  if (authorization.includes(','))
    throw refuse('exactly one Authorization header is allowed', REFUSAL.scheme);
  const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw refuse('the Authorization header must use the Bearer scheme', REFUSAL.scheme);
  const token = match[1];
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES)
    throw refuse('the bearer token is too large', REFUSAL.tooLarge);
  if (!COMPACT_JWS.test(token)) throw refuse('the bearer token is not a signed JWT', REFUSAL.malformed);
  return token;
}

// Many issuers let users set `email` themselves: it identifies someone only once the issuer has
// verified it, and only the boolean `true` counts.
const EMAIL_CLAIM = 'email';
const identityClaim = (payload: JWTPayload, claim: string): unknown =>
  claim === EMAIL_CLAIM && payload.email_verified !== true ? undefined : payload[claim];

/**
 * Whose principal a verified token is. The primary issuer's principal is the claim's value as it is
 * (principals and requests recorded before there were several issuers stay the same); another
 * issuer's is `<name>:<value>`, its groups `<name>:<group>`: a `sub` or group of one issuer is never
 * another's, however its issuer chose it. For that to hold both ways, a primary principal that
 * starts with another issuer's `<name>:` is refused: it would be taken for that issuer's.
 */
interface Namespace {
  /** The issuer's name: the Principal's `issuer`. */
  name: string;
  /** The prefix of the issuer's principals and groups: undefined for the primary issuer. */
  prefix: string | undefined;
  /** For the primary issuer: the other issuers' prefixes, which its principals may not start with. */
  reserved: readonly string[];
}

function principalFrom(payload: JWTPayload, claims: AuthSettings['claims'], ns: Namespace): Principal {
  const sub = identityClaim(payload, claims.principal);
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
    throw refuse(`the token has no usable '${claims.principal}' claim`, REFUSAL.claims, ns.name);
  }
  if (ns.reserved.some((prefix) => sub.startsWith(prefix))) {
    throw refuse(`the token has no usable '${claims.principal}' claim`, REFUSAL.claims, ns.name);
  }
  const nameClaim = claims.name
    .map((claim) => identityClaim(payload, claim))
    .find((value) => typeof value === 'string' && value);
  const groups = payload[claims.groups];
  const prefix = ns.prefix ?? '';
  const principal = `${prefix}${sub}`;
  return {
    sub: principal,
    name: typeof nameClaim === 'string' ? nameClaim.slice(0, 256) : principal,
    // A groups claim of another shape grants nothing.
    // A group named like another issuer's (`ci:deployers` in a primary token) grants nothing: no
    // group of one issuer passes for another's.
    groups: Array.isArray(groups)
      ? groups
          .filter((g): g is string => typeof g === 'string')
          .filter((g) => !ns.reserved.some((reserved) => g.startsWith(reserved)))
          .map((g) => `${prefix}${g}`)
      : [],
    claims: payload,
    issuer: ns.name,
  };
}

/**
 * Refuses a token issued in the future (beyond the clock tolerance) or one that lives longer than
 * `maxAge`: by its own account (exp - iat) or from now (exp - now, which also bounds a token
 * without iat). jose has checked already that exp is a number and not past.
 */
function checkLifetime(payload: JWTPayload, maxAge: number, now: number, issuerName: string): void {
  const { exp, iat } = payload;
  if (typeof exp !== 'number') throw refuse('the bearer token has no expiry', REFUSAL.claims, issuerName);
  if (typeof iat === 'number' && iat > now + CLOCK_TOLERANCE_SECONDS)
    throw refuse('the bearer token was issued in the future', REFUSAL.notYetValid, issuerName);
  const lifetime = typeof iat === 'number' ? exp - iat : 0;
  if (lifetime > maxAge || exp - now > maxAge + CLOCK_TOLERANCE_SECONDS)
    throw refuse(`the bearer token lives longer than ${maxAge} seconds`, REFUSAL.tooOld, issuerName);
}

/** The SHA-256 of a token: the verified-token caches' key (the token itself is never kept). */
const tokenKey = (token: string) => createHash('sha256').update(token).digest('base64');

/** Verified tokens kept per container: a CLI presents one token for up to an hour. */
export const VERIFIED_TOKEN_CACHE_SIZE = 1000;

interface VerifiedToken {
  principal: Principal;
  /** The key it was verified with: the entry serves only while the issuer still publishes it. */
  kid: string;
  /** Seconds since the epoch: when it was verified, and the end of its use (exp, or sooner). */
  verifiedAt: number;
  until: number;
}

/**
 * The tokens this container has verified, by the SHA-256 of their exact string (never the token),
 * least recently used first; at most `size`. Only a token that passed every check is stored
 * (`remember` is called after the Principal is built), never a refusal or a 503.
 *
 * Why a hit may skip the checks: everything hallpass checks depends only on the token string and the
 * clock. The token string is the key, so a hit is the same token that passed the format checks (size,
 * compact JWS, no jku/x5u/jwk/x5c header), the signature, iss, aud, alg and the claims before. Of the
 * clock-dependent checks, exp is rechecked here strictly (now < exp, without the 60 s of tolerance
 * verification allows), and nbf, `iat` not in the future and `exp - now <= max age` can only become
 * more true as time moves on; should the clock go back past the verification, the entry is not used.
 * The entry also ends `maxAge` after verification, whatever its exp. The Authorization header's own
 * checks (one header, Bearer scheme) are not the token's: readToken runs on every call before this.
 * A key rotation does not undo a verification, but a key's withdrawal does (an issuer withdraws a key
 * to revoke what it signed): a hit needs the token's `kid` in the JWKS as last fetched, and that set
 * under JWKS_MAX_AGE_MS old (issuerVerifier's `published`), so a stale set sends the token to be
 * verified again, which refetches the set; once a refetch drops the key, its tokens are refused. A
 * token without a `kid` is not cached.
 */
export function verifiedTokens(size: number, maxAge: number) {
  const entries = new Map<string, VerifiedToken>();
  return {
    keyOf: tokenKey,
    recall(key: string, nowSeconds: number, published: (kid: string) => boolean): Principal | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (nowSeconds >= entry.until || nowSeconds < entry.verifiedAt || !published(entry.kid)) {
        return undefined;
      }
      entries.set(key, entry); // most recently used last
      return entry.principal;
    },
    remember(key: string, principal: Principal, kid: string, exp: number, nowSeconds: number): void {
      entries.delete(key);
      while (entries.size >= size) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
      // One object serves every hit: frozen, so that no caller can change what the next one sees.
      Object.freeze(principal.groups);
      entries.set(key, {
        principal: Object.freeze(principal),
        kid,
        verifiedAt: nowSeconds,
        until: Math.min(exp, nowSeconds + maxAge),
      });
    },
    get size() {
      return entries.size;
    },
  };
}

/** Keys fetched less than this long ago are used without asking the issuer (jose's own default). */
export const JWKS_MAX_AGE_MS = 600_000;

export interface AuthenticatorOptions {
  /** Start getting the keys at construction (container init): from the store, else the issuer. */
  prefetch?: boolean;
  /**
   * Where the issuer's JWKS is kept between containers (lib/adapters/jwks-store.ts): read once at
   * construction, used while younger than JWKS_MAX_AGE_MS, written back after each fetch from the
   * issuer. Unset: every container asks the issuer.
   */
  store?: JwksStore | undefined;
}

/** GETs a JWKS: 200 within 3 s, no redirect followed, public asymmetric keys only (at least one). */
async function fetchJwks(jwksUri: string, fetchKeys: Fetch): Promise<JsonWebKeySet> {
  const response = await fetchKeys(jwksUri, {
    redirect: 'manual',
    signal: AbortSignal.timeout(3000),
    headers: { accept: 'application/json, application/jwk-set+json' },
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`the JWKS answered ${response.status}`);
  }
  const jwks = publicKeys(await response.json());
  if (!jwks) throw new Error('the JWKS has no public keys');
  return jwks;
}

/**
 * The issuer's JWKS, fetched now (for the scheduled refresh of the store): from the configured URI,
 * else the discovered one; a redirect is not followed; only public asymmetric keys are kept.
 */
export async function fetchIssuerJwks(
  settings: Pick<AuthSettings, 'issuer' | 'jwksUri'>,
  metrics?: Metrics,
): Promise<StoredJwks> {
  const jwksUri =
    settings.jwksUri ?? (await discoverJwksUri(settings.issuer, measuredFetch('discovery', metrics)));
  const jwks = await fetchJwks(jwksUri, measuredFetch('jwks', metrics));
  return { issuer: settings.issuer, jwksUri, fetchedAt: Date.now(), jwks };
}

/** jose's refusals, by error code, as the log's reasons. */
const JOSE_REFUSALS: Record<string, Refusal> = {
  ERR_JWT_EXPIRED: REFUSAL.expired,
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: REFUSAL.signature,
  ERR_JWKS_NO_MATCHING_KEY: REFUSAL.unknownKey,
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: REFUSAL.unknownKey,
  ERR_JWK_INVALID: REFUSAL.unknownKey,
  ERR_JOSE_ALG_NOT_ALLOWED: REFUSAL.algorithm,
  ERR_JOSE_NOT_SUPPORTED: REFUSAL.algorithm,
  ERR_JWS_INVALID: REFUSAL.malformed,
  ERR_JWT_INVALID: REFUSAL.malformed,
};
const CLAIM_REFUSALS: Record<string, Refusal> = {
  aud: REFUSAL.audience,
  iss: REFUSAL.issuer,
  nbf: REFUSAL.notYetValid,
};

function joseRefusal(error: unknown): Refusal {
  const { code, claim } = error as { code?: string; claim?: string };
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return CLAIM_REFUSALS[claim ?? ''] ?? REFUSAL.claims;
  return JOSE_REFUSALS[code ?? ''] ?? REFUSAL.invalid;
}

/** One issuer's verification, and its verified tokens for the lookup before any decoding. */
interface IssuerVerifier {
  recall(cacheKey: string, nowSeconds: number): Principal | undefined;
  verify(token: string, header: JWSHeaderParameters, cacheKey: string): Promise<Principal>;
}

/**
 * Builds the authenticate function once per container, for one issuer or several (the first is the
 * primary one). Each issuer's JWKS cache and verified tokens live in its own closure (issuerVerifier).
 * A token one of them has verified is answered from its cache before anything is decoded; otherwise
 * the token's `iss`, decoded unverified, only chooses which of them verifies it.
 */
export function createAuthenticator(
  settings: AuthSettings | readonly AuthSettings[],
  metrics?: Metrics,
  options: AuthenticatorOptions = {},
): Authenticate {
  const all: readonly AuthSettings[] = Array.isArray(settings) ? settings : [settings as AuthSettings];
  const names = all.map((issuer, index) => issuer.name ?? (index === 0 ? PRIMARY_ISSUER : undefined));
  if (names.some((name) => !name) || new Set(names).size !== names.length) {
    throw new Error('every issuer but the first needs a name, and no two the same');
  }
  if (new Set(all.map((issuer) => issuer.issuer)).size !== all.length) {
    throw new Error('each issuer may be configured once');
  }
  const prefixes = names.slice(1).map((name) => `${name}:`);
  const verifiers = new Map<string, IssuerVerifier>();
  all.forEach((issuer, index) => {
    const name = names[index] as string;
    const ns: Namespace =
      index === 0
        ? { name, prefix: undefined, reserved: prefixes }
        : { name, prefix: `${name}:`, reserved: [] };
    verifiers.set(issuer.issuer, issuerVerifier(issuer, ns, metrics, options));
  });
  const caches = [...verifiers.values()];

  return async (authorization) => {
    const token = readToken(authorization);
    const cacheKey = tokenKey(token);
    const nowSeconds = Date.now() / 1000;
    // A hit is this exact token, verified by that issuer (see verifiedTokens).
    for (const verifier of caches) {
      const known = verifier.recall(cacheKey, nowSeconds);
      if (known) return known;
    }
    let header: JWSHeaderParameters;
    let iss: unknown;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw refuse('the bearer token is malformed', REFUSAL.malformed);
    }
    if (KEY_LOCATING_HEADERS.some((name) => name in header)) {
      throw refuse('the bearer token names its own key, which is never trusted', REFUSAL.keyHeader);
    }
    try {
      iss = decodeJwt(token).iss;
    } catch (error) {
      throw refuse('the bearer token is invalid or expired', REFUSAL.malformed, undefined, { cause: error });
    }
    // Only to choose: the chosen issuer's verification checks `iss` again, with the signature.
    const verifier = typeof iss === 'string' ? verifiers.get(iss) : undefined;
    if (!verifier) throw refuse('the bearer token is invalid or expired', REFUSAL.issuer);
    return verifier.verify(token, header, cacheKey);
  };
}

/** A key set as fetched (or read from the store), and when and from where. */
interface FetchedKeys {
  /** jose's key selection and import over the set (each key imported once, per algorithm). */
  select: ReturnType<typeof createLocalJWKSet>;
  keys: JsonWebKeySet['keys'];
  /** The kids the set publishes (the verified-token cache serves a token only while its kid is here). */
  kids: ReadonlySet<unknown>;
  fetchedAt: number;
  jwksUri: string | undefined;
}

/** A key set to verify with; throws (jose's JWKSInvalid) if it is not one. */
function fetchedKeys(jwks: JsonWebKeySet, fetchedAt: number, jwksUri: string | undefined): FetchedKeys {
  return {
    select: createLocalJWKSet(jwks as JSONWebKeySet),
    keys: jwks.keys,
    kids: new Set(jwks.keys.map((key) => key.kid)),
    fetchedAt,
    jwksUri,
  };
}

/**
 * One issuer's verification: its JWKS (store item, cache, cooldown), jose's jwtVerify over it, and
 * its verified tokens. Keys are used while younger than JWKS_MAX_AGE_MS, then fetched again; a
 * kid the set lacks is fetched again only when the set is older than the cooldown (one fetch shared
 * by concurrent requests), so tokens with made-up kids cannot make hallpass fetch on every request.
 * A failed fetch starts the same cooldown: within it, anything that would need the issuer is 503
 * without asking it, while the kids already held keep verifying.
 */
function issuerVerifier(
  settings: AuthSettings,
  ns: Namespace,
  metrics: Metrics | undefined,
  options: AuthenticatorOptions,
): IssuerVerifier {
  const fetchKeys = measuredFetch('jwks', metrics);
  const fetchDiscovery = measuredFetch('discovery', metrics);
  const { store } = options;
  // The JWKS URI: configured, or discovered at the first fetch and kept (a failed discovery is not).
  let located: Promise<string> | undefined;
  const locate = (): Promise<string> => {
    if (!located) {
      const discovery = settings.jwksUri
        ? Promise.resolve(settings.jwksUri)
        : discoverJwksUri(settings.issuer, fetchDiscovery);
      located = discovery;
      discovery.catch(() => {
        if (located === discovery) located = undefined;
      });
    }
    return located;
  };

  let keys: FetchedKeys | undefined;
  let persistedAt: number | undefined;
  const fresh = (set: FetchedKeys) => Date.now() < set.fetchedAt + JWKS_MAX_AGE_MS;
  const coolingDown = (set: FetchedKeys) => Date.now() < set.fetchedAt + COOLDOWN_MS;
  const persist = async (set: FetchedKeys): Promise<void> => {
    if (!store || set.fetchedAt === persistedAt || !set.jwksUri) return;
    persistedAt = set.fetchedAt;
    try {
      await store.write({
        issuer: settings.issuer,
        jwksUri: set.jwksUri,
        fetchedAt: set.fetchedAt,
        jwks: { keys: [...set.keys] },
      });
    } catch {
      // A cache write: the next fetch tries again. The DynamoDB client counts its own failures.
    }
  };
  // The store, read once per container: its set is used while younger than JWKS_MAX_AGE_MS.
  let seeded: Promise<void> | undefined;
  const seed = (): Promise<void> => {
    seeded ??= (async () => {
      if (!store) return;
      try {
        const stored = await store.read({
          issuer: settings.issuer,
          jwksUri: settings.jwksUri,
          maxAgeMs: JWKS_MAX_AGE_MS,
        });
        if (!stored || keys) return;
        keys = fetchedKeys(stored.jwks, stored.fetchedAt, stored.jwksUri);
        persistedAt = stored.fetchedAt;
      } catch {
        // Unreadable: the issuer it is, as without a store.
      }
    })();
    return seeded;
  };

  // Since the last failed fetch from the issuer (discovery or JWKS).
  let failedAt = Number.NEGATIVE_INFINITY;
  const recentlyFailed = () => Date.now() - failedAt < COOLDOWN_MS;
  // One fetch at a time, shared by whoever needs it meanwhile. The caller that started it also
  // writes the new set to the store before going on (a cache write: the others do not wait for it).
  let pending: Promise<FetchedKeys> | undefined;
  const reload = (): Promise<FetchedKeys> => {
    if (pending) return pending;
    const attempt = (async () => {
      try {
        const jwksUri = await locate();
        keys = fetchedKeys(await fetchJwks(jwksUri, fetchKeys), Date.now(), jwksUri);
        return keys;
      } catch (error) {
        failedAt = Date.now();
        throw unavailable(error);
      }
    })();
    pending = attempt;
    attempt
      .finally(() => {
        if (pending === attempt) pending = undefined;
      })
      .catch(() => undefined);
    return attempt.then(async (set) => {
      await persist(set);
      return set;
    });
  };

  // jose's key getter: the set's key for the header, from a fresh set; a kid the set lacks sends
  // for the set again (the issuer may have published a new key), unless the set is that recent.
  const resolveKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    await seed();
    let set = keys;
    if (!set || !fresh(set)) {
      if (recentlyFailed()) throw unavailable(undefined);
      set = await reload();
    }
    // The set's key, or undefined when none matches (jose's refusal kept, for the log's reason).
    let noMatch: unknown;
    const keyOf = async (from: FetchedKeys) => {
      try {
        return await from.select(header, token);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
        noMatch = error;
        return undefined;
      }
    };
    const key = await keyOf(set);
    if (key) return key;
    // A newer set may have arrived while this one was in use: it is the one the cooldown is about.
    if (keys && keys !== set && fresh(keys)) {
      set = keys;
      const newer = await keyOf(set);
      if (newer) return newer;
    }
    if (recentlyFailed()) throw unavailable(undefined);
    if (coolingDown(set)) throw noMatch;
    return (await reload()).select(header, token);
  };

  // Prefetch (at container init): the store is read, or else discovery and the JWKS fetch start now,
  // so that their round trips overlap the rest of the cold start. It is the fetch the first request
  // would have made, made earlier (requests share a fetch in flight), not an extra one: a failure
  // counts as one, so requests within the cooldown answer 503 without asking the issuer again, and
  // the first one after it fetches again. It never rejects unhandled.
  if (options.prefetch) {
    seed()
      .then(() => (keys && fresh(keys) ? undefined : reload()))
      .catch(() => undefined);
  }

  const maxAge = settings.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS;
  const verified = verifiedTokens(VERIFIED_TOKEN_CACHE_SIZE, maxAge);
  // A cached token is served only while its key is in a set young enough to verify with: after
  // JWKS_MAX_AGE_MS the token is verified again, which fetches the set (a withdrawn key then refuses
  // it; an issuer that does not answer is 503), even in a container that sees nothing but cache hits.
  const published = (kid: string) => (keys !== undefined && fresh(keys) && keys.kids.has(kid)) || false;

  return {
    recall: (cacheKey, nowSeconds) => verified.recall(cacheKey, nowSeconds, published),
    async verify(token, header, cacheKey) {
      try {
        const { payload } = await jwtVerify(token, resolveKey, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: settings.algorithms,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'iss', 'aud'],
        });
        const now = Date.now() / 1000;
        checkLifetime(payload, maxAge, Math.floor(now), ns.name);
        const principal = principalFrom(payload, settings.claims, ns);
        if (typeof header.kid === 'string') {
          verified.remember(cacheKey, principal, header.kid, payload.exp as number, now);
        }
        return principal;
      } catch (error) {
        if (error instanceof UpstreamUnavailableError || error instanceof UnauthenticatedError) throw error;
        throw refuse('the bearer token is invalid or expired', joseRefusal(error), ns.name, { cause: error });
      }
    },
  };
}
