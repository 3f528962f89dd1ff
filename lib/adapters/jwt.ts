/**
 * A signed JWT (compact JWS) checked with node:crypto: decoding, the choice of the issuer's key, the
 * signature and the registered claims. lib/adapters/auth.ts builds hallpass's rules on top (which
 * issuer, which key set and when to fetch it, the token's lifetime, the principal).
 *
 * Why not jose here: jose verifies through WebCrypto, whose every check hops to libuv's thread pool
 * and back (about 0.4 ms a token on the hot path, against 0.03 ms for the same RSA check done
 * synchronously), and jose is 20 KB of every authenticated bundle. What it checked is checked here
 * the same way, in the same order, and test/unit/adapters/jwt.test.ts holds the two side by side on
 * the same tokens and key sets: where jose refuses, this refuses too. Where they differ, this is the
 * stricter: a `crit` header of any kind is refused (jose accepts `crit: ["b64"]` with `b64: true`).
 *
 * Only the asymmetric algorithms of ALGORITHMS exist here: an HMAC, `none` or any other `alg` is
 * refused before a key is looked at. An RSA key must have at least 2048 bits; an EC key's curve and
 * an ECDSA signature's length must be the algorithm's; an Ed25519 key serves EdDSA.
 */
import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';

/** Why a token was refused (the values of auth.ts's REFUSAL that decoding and checking can give). */
export type JwtRefusal =
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer'
  | 'audience'
  | 'claims'
  | 'invalid';

/**
 * A refused token. Only the reason is ever logged (auth.ts's `access.denied` line); the detail, a
 * word or two, says which check of that reason failed, for whoever debugs. Short on purpose: the
 * strings are in every authenticated bundle and no one else reads them.
 */
export class JwtInvalid extends Error {
  override name = 'JwtInvalid';
  constructor(
    readonly reason: JwtRefusal,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

export type JwtHeader = Readonly<Record<string, unknown>>;
export type JwtPayload = Readonly<Record<string, unknown>>;

/** A compact JWS, decoded but not verified. */
export interface DecodedJwt {
  header: JwtHeader;
  payload: JwtPayload;
  /** `<header>.<payload>` as the token has them: what was signed. */
  signingInput: string;
  signature: string;
}

/** A public JSON Web Key, as a JWKS publishes it. */
export type Jwk = Readonly<Record<string, unknown>>;

interface Algorithm {
  kty: 'RSA' | 'EC' | 'OKP';
  /** node:crypto's digest name; null for Ed25519, which hashes inside. */
  hash: string | null;
  crv?: string;
  /** RSA-PSS: the salt length, equal to the digest's. */
  saltLength?: number;
  /** ECDSA: the signature's length (r and s, each the curve's size). */
  signatureBytes?: number;
}

const rsa = (bits: number, pss: boolean): Algorithm => ({
  kty: 'RSA',
  hash: `sha${bits}`,
  ...(pss ? { saltLength: bits / 8 } : {}),
});
const ecdsa = (crv: string, bits: number, signatureBytes: number): Algorithm => ({
  kty: 'EC',
  hash: `sha${bits}`,
  crv,
  signatureBytes,
});

/** The algorithms a token may name (an issuer's allowlist picks among them). */
export const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  RS256: rsa(256, false),
  RS384: rsa(384, false),
  RS512: rsa(512, false),
  PS256: rsa(256, true),
  PS384: rsa(384, true),
  PS512: rsa(512, true),
  ES256: ecdsa('P-256', 256, 64),
  ES384: ecdsa('P-384', 384, 96),
  ES512: ecdsa('P-521', 512, 132),
  EdDSA: { kty: 'OKP', hash: null, crv: 'Ed25519' },
};

const MIN_RSA_BITS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** base64url without padding; a length that no encoding gives (4n + 1) is refused. */
function base64url(part: string, what: string): Buffer {
  if (!BASE64URL.test(part) || part.length % 4 === 1) {
    throw new JwtInvalid('malformed', what);
  }
  return Buffer.from(part, 'base64url');
}

function jsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(base64url(part, what)));
  } catch (error) {
    if (error instanceof JwtInvalid) throw error;
    throw new JwtInvalid('malformed', what);
  }
  if (!isObject(value)) throw new JwtInvalid('malformed', what);
  return value;
}

/**
 * The token's three parts, its header and claims decoded (nothing verified). `inspectHeader` sees
 * the header before the claims are decoded (jose's order: a refusal of the header comes first).
 */
export function decodeJwt(token: string, inspectHeader?: (header: JwtHeader) => void): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtInvalid('malformed');
  const [head = '', body = '', signature = ''] = parts;
  const header = jsonObject(head, 'header');
  inspectHeader?.(header);
  return { header, payload: jsonObject(body, 'payload'), signingInput: `${head}.${body}`, signature };
}

/**
 * The header's algorithm, if the allowlist has it. A `crit` header is always refused, with jose's
 * reason for the log: malformed when it is not a list of names, when it names `b64` without the
 * header having one, or when it names `b64` alone (an unencoded payload, which no JWT may have; jose
 * accepts `b64: true`); `algorithm` at the first other name, an extension nobody implements here.
 */
export function checkHeader(header: JwtHeader, allowed: readonly string[]): string {
  const { crit } = header;
  if (crit !== undefined) {
    if (
      !Array.isArray(crit) ||
      crit.length === 0 ||
      !crit.every((name) => typeof name === 'string' && name.length > 0)
    ) {
      throw new JwtInvalid('malformed', 'crit');
    }
    for (const name of crit) {
      if (name !== 'b64') throw new JwtInvalid('algorithm', 'crit');
      if (header.b64 === undefined) throw new JwtInvalid('malformed', 'crit');
    }
    throw new JwtInvalid('malformed', 'b64');
  }
  const { alg } = header;
  if (typeof alg !== 'string' || !alg) throw new JwtInvalid('malformed', 'alg');
  // Never quoted: the alg is the caller's text (and could be anything, a token included).
  if (!allowed.includes(alg) || !Object.hasOwn(ALGORITHMS, alg)) throw new JwtInvalid('algorithm');
  return alg;
}

/**
 * Whether a JWK may verify a token of this algorithm and kid: its kty (and curve) the algorithm's,
 * its kid the token's when the token names one, its alg (when it has one) the token's, its use `sig`
 * and its key_ops (when it has them, without repeats) including `verify`. jose's rules for a JWKS.
 */
function usable(jwk: Jwk, alg: string, entry: Algorithm, kid: unknown): boolean {
  const { kty, key_ops: ops, ext, kid: jwkKid, alg: jwkAlg, use, crv } = jwk;
  return (
    (ext === undefined || typeof ext === 'boolean') &&
    (ops === undefined ||
      (Array.isArray(ops) &&
        ops.every((op, index) => typeof op === 'string' && ops.indexOf(op) === index) &&
        ops.includes('verify'))) &&
    kty === entry.kty &&
    (kid === undefined || (typeof kid === 'string' && kid === jwkKid)) &&
    (jwkAlg === undefined || jwkAlg === alg) &&
    (use === undefined || use === 'sig') &&
    (entry.crv === undefined || crv === entry.crv)
  );
}

export interface KeySet {
  /**
   * The one key of the set for this header (alg already checked), or undefined when none matches.
   * More than one match, or a key that does not import as a public key of the algorithm's kind, is
   * refused: which key signed must never be a guess.
   */
  select(header: JwtHeader): KeyObject | undefined;
}

/** A key set to verify with; each key imported once, when first needed. Throws if it is not a set. */
export function keySet(jwks: { keys: readonly Jwk[] }): KeySet {
  if (!isObject(jwks) || !Array.isArray(jwks.keys) || !jwks.keys.every(isObject)) {
    throw new Error('not a JWKS');
  }
  const keys = jwks.keys.map((jwk) => structuredClone(jwk) as Jwk);
  const imported = new Map<Jwk, KeyObject>();
  const importKey = (jwk: Jwk, entry: Algorithm): KeyObject => {
    const known = imported.get(jwk);
    if (known) return known;
    let key: KeyObject;
    try {
      // A private key is no public key; and a public key serves to verify, nothing else: WebCrypto
      // (and so jose) refuses a key whose key_ops name any other operation.
      if ('d' in jwk || (Array.isArray(jwk.key_ops) && jwk.key_ops.some((op) => op !== 'verify'))) {
        throw new Error();
      }
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      throw new JwtInvalid('invalid', 'key');
    }
    const details = key.asymmetricKeyDetails;
    const fits =
      entry.kty === 'RSA'
        ? key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_BITS
        : entry.kty === 'EC'
          ? key.asymmetricKeyType === 'ec'
          : key.asymmetricKeyType === 'ed25519';
    if (!fits) throw new JwtInvalid('invalid', 'key type or size');
    imported.set(jwk, key);
    return key;
  };
  return {
    select(header) {
      const alg = header.alg as string;
      const entry = ALGORITHMS[alg] as Algorithm;
      const candidates = keys.filter((jwk) => usable(jwk, alg, entry, header.kid));
      if (candidates.length === 0) return undefined;
      if (candidates.length > 1) throw new JwtInvalid('unknown_key', 'several');
      return importKey(candidates[0] as Jwk, entry);
    },
  };
}

/** The signature over `<header>.<payload>`, by this key, with the header's algorithm. */
export function checkSignature(jwt: DecodedJwt, alg: string, key: KeyObject): void {
  const entry = ALGORITHMS[alg] as Algorithm;
  const signature = base64url(jwt.signature, 'signature');
  if (entry.signatureBytes !== undefined && signature.length !== entry.signatureBytes) {
    throw new JwtInvalid('signature');
  }
  let valid = false;
  try {
    const data = Buffer.from(jwt.signingInput);
    valid =
      entry.saltLength !== undefined
        ? verify(
            entry.hash,
            data,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: entry.saltLength },
            signature,
          )
        : entry.kty === 'EC'
          ? verify(entry.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
          : verify(entry.hash, data, key, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new JwtInvalid('signature');
}

export interface ClaimRules {
  issuer: string;
  audience: string;
  /** Seconds of tolerance for exp and nbf. */
  clockTolerance: number;
  /** Seconds since the epoch (whole). */
  now: number;
}

/**
 * The registered claims: `iss`, `aud` and `exp` present; `iss` the issuer's, `aud` (a string or a
 * list) naming the audience; `iat`, `nbf` and `exp`, when present, numbers; not before `nbf` and not
 * at or after `exp`, each give or take the tolerance.
 */
export function checkClaims(payload: JwtPayload, rules: ClaimRules): void {
  for (const claim of ['iss', 'aud', 'exp'] as const) {
    if (!Object.hasOwn(payload, claim)) {
      throw new JwtInvalid(claimRefusal(claim), claim);
    }
  }
  if (payload.iss !== rules.issuer) throw new JwtInvalid('issuer');
  const { aud } = payload;
  if (!(aud === rules.audience || (Array.isArray(aud) && aud.includes(rules.audience)))) {
    throw new JwtInvalid('audience');
  }
  const { iat, nbf, exp } = payload;
  if (iat !== undefined && typeof iat !== 'number') throw new JwtInvalid('claims', 'iat');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > rules.now + rules.clockTolerance)) {
    throw new JwtInvalid('not_yet_valid');
  }
  if (typeof exp !== 'number') throw new JwtInvalid('claims', 'exp');
  if (exp <= rules.now - rules.clockTolerance) throw new JwtInvalid('expired');
}

const claimRefusal = (claim: 'iss' | 'aud' | 'exp'): JwtRefusal =>
  claim === 'iss' ? 'issuer' : claim === 'aud' ? 'audience' : 'claims';
