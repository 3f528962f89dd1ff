/**
 * lib/adapters/jwt.ts against jose, side by side: the same tokens, key sets, allowlists and clock
 * go to jose's jwtVerify (with createLocalJWKSet, the options auth.ts gave it) and to jwt.ts's steps
 * in auth.ts's order. For every case both must agree: accept with the same claims, or refuse, with the
 * reason auth.ts's log gave jose's error. The cases cover every algorithm (each signed for real),
 * every way a key may or may not fit (kid, kty, crv, alg, use, key_ops, size, several matches), and
 * broken encodings, signatures and claims. Where jwt.ts is knowingly stricter, the test says so.
 */
import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  checkClaims,
  checkHeader,
  checkSignature,
  decodeJwt,
  type Jwk,
  JwtInvalid,
  keySet,
} from '../../../lib/adapters/jwt.ts';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'hallpass';
const TOLERANCE = 60;
const NOW = 1_800_000_000;

/** How auth.ts's log named jose's refusals (by error code, and by claim for a failed claim). */
const JOSE_REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'unknown_key',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
};
const CLAIM_REASONS: Record<string, string> = { aud: 'audience', iss: 'issuer', nbf: 'not_yet_valid' };

type Outcome = { ok: true; payload: unknown } | { ok: false; reason: string };

async function byJose(token: string, jwks: { keys: Jwk[] }, algorithms: string[]): Promise<Outcome> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as JSONWebKeySet), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms,
      clockTolerance: TOLERANCE,
      requiredClaims: ['exp', 'iss', 'aud'],
      currentDate: new Date(NOW * 1000),
    });
    return { ok: true, payload };
  } catch (error) {
    const { code, claim } = error as { code?: string; claim?: string };
    const reason =
      code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
        ? (CLAIM_REASONS[claim ?? ''] ?? 'claims')
        : (JOSE_REASONS[code ?? ''] ?? 'invalid');
    return { ok: false, reason };
  }
}

/** jwt.ts's steps, in auth.ts's order (decode, header, key, signature, claims). */
function byJwt(token: string, jwks: { keys: Jwk[] }, algorithms: string[]): Outcome {
  try {
    const jwt = decodeJwt(token);
    const alg = checkHeader(jwt.header, algorithms);
    const key = keySet(jwks).select(jwt.header);
    if (!key) return { ok: false, reason: 'unknown_key' };
    checkSignature(jwt, alg, key);
    checkClaims(jwt.payload, { issuer: ISSUER, audience: AUDIENCE, clockTolerance: TOLERANCE, now: NOW });
    return { ok: true, payload: jwt.payload };
  } catch (error) {
    if (error instanceof JwtInvalid) return { ok: false, reason: error.reason };
    throw error;
  }
}

interface TestKey {
  alg: string;
  privateKey: KeyObject;
  jwk: Jwk;
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function signature(alg: string, input: string, key: KeyObject, der = false): string {
  const entry = ALGORITHMS[alg];
  const data = Buffer.from(input);
  if (!entry) return sign('sha256', data, key).toString('base64url');
  if (entry.kty === 'OKP') return sign(null, data, key).toString('base64url');
  if (entry.kty === 'EC') {
    return sign(entry.hash, data, { key, dsaEncoding: der ? 'der' : 'ieee-p1363' }).toString('base64url');
  }
  const pss = alg.startsWith('PS');
  return sign(
    entry.hash,
    data,
    pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: entry.saltLength ?? 0 } : key,
  ).toString('base64url');
}

function token(
  key: TestKey,
  header: Record<string, unknown> = {},
  claims: Record<string, unknown> = {},
  signAs = key.alg,
): string {
  const fullHeader = dropUndefined({ alg: key.alg, kid: key.jwk.kid, typ: 'JWT', ...header });
  const input = `${b64(fullHeader)}.${b64(dropUndefined({ ...baseClaims(), ...claims }))}`;
  return `${input}.${signature(signAs, input, key.privateKey)}`;
}

const baseClaims = () => ({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: NOW - 10, exp: NOW + 600 });
const dropUndefined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined));

function keyPair(alg: string, kid: string, jwkExtra: Record<string, unknown> = {}, bits = 2048): TestKey {
  const entry = ALGORITHMS[alg];
  const pair =
    entry?.kty === 'EC'
      ? generateKeyPairSync('ec', { namedCurve: entry.crv as string })
      : entry?.kty === 'OKP'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, ...jwkExtra };
  return { alg, privateKey: pair.privateKey, jwk };
}

const ALL = Object.keys(ALGORITHMS);
let keys: Record<string, TestKey>;
let small: TestKey;
let set: { keys: Jwk[] };

beforeAll(() => {
  keys = Object.fromEntries(ALL.map((alg) => [alg, keyPair(alg, `k-${alg}`, { alg, use: 'sig' })]));
  small = keyPair('RS256', 'k-small', { alg: 'RS256' }, 1024);
  set = { keys: [...Object.values(keys).map((k) => k.jwk), small.jwk] };
});

/** Both verdicts on one case. */
async function both(t: string, jwks = set, algorithms = ALL) {
  return { jose: await byJose(t, jwks, algorithms), jwt: byJwt(t, jwks, algorithms) };
}

async function expectAgree(t: string, jwks = set, algorithms = ALL) {
  const { jose, jwt } = await both(t, jwks, algorithms);
  expect(jwt).toEqual(jose);
  return jwt;
}

describe('jwt.ts agrees with jose', () => {
  it.each(ALL)('accepts a good %s token, with the same claims', async (alg) => {
    const outcome = await expectAgree(token(keys[alg] as TestKey));
    expect(outcome.ok).toBe(true);
  });

  it.each(ALL)('refuses a %s token whose payload was changed after signing', async (alg) => {
    const [head, , sig] = token(keys[alg] as TestKey).split('.');
    const outcome = await expectAgree(`${head}.${b64({ ...baseClaims(), sub: 'root' })}.${sig}`);
    expect(outcome).toEqual({ ok: false, reason: 'signature' });
  });

  it.each(ALL)('refuses a %s token signed by another key with the same kid', async (alg) => {
    const other = keyPair(alg, `k-${alg}`);
    const outcome = await expectAgree(token(other));
    expect(outcome).toEqual({ ok: false, reason: 'signature' });
  });

  it.each(ALL)('refuses a %s token when the allowlist lacks its alg', async (alg) => {
    const outcome = await expectAgree(
      token(keys[alg] as TestKey),
      set,
      ALL.filter((a) => a !== alg),
    );
    expect(outcome).toEqual({ ok: false, reason: 'algorithm' });
  });

  const headerCases: Array<[string, (k: TestKey) => Record<string, unknown>]> = [
    ['alg none', () => ({ alg: 'none' })],
    ['alg HS256', () => ({ alg: 'HS256' })],
    ['alg missing', () => ({ alg: undefined })],
    ['alg empty', () => ({ alg: '' })],
    ['alg a number', () => ({ alg: 256 })],
    ['alg in lower case', (k) => ({ alg: k.alg.toLowerCase() })],
    ['alg of another family on this kid', (k) => ({ alg: k.alg.startsWith('RS') ? 'ES256' : 'RS256' })],
    ['no kid', () => ({ kid: undefined })],
    ['an unknown kid', () => ({ kid: 'nobody' })],
    ['a numeric kid', () => ({ kid: 7 })],
    ['crit with an unknown extension', () => ({ crit: ['urn:x'], 'urn:x': 1 })],
    ['crit empty', () => ({ crit: [] })],
    ['crit b64 false', () => ({ crit: ['b64'], b64: false })],
    ['crit b64 named twice, b64 false', () => ({ crit: ['b64', 'b64'], b64: false })],
    ['crit b64 without a b64 header', () => ({ crit: ['b64'] })],
    ['crit b64 then an unknown extension', () => ({ crit: ['b64', 'urn:x'], b64: true, 'urn:x': 1 })],
    ['crit b64 (absent) then an unknown extension', () => ({ crit: ['b64', 'urn:x'], 'urn:x': 1 })],
    ['crit with an empty name', () => ({ crit: [''] })],
    ['crit not a list', () => ({ crit: 'b64' })],
    ['b64 false without crit', () => ({ b64: false })],
    ['typ something else', () => ({ typ: 'at+jwt' })],
  ];
  it.each(
    headerCases.flatMap(([name, header]) =>
      ['RS256', 'PS256', 'ES256', 'ES512', 'EdDSA'].map((alg) => [name, alg, header]),
    ),
  )('header: %s (%s)', async (_name, alg, header) => {
    const key = keys[alg as string] as TestKey;
    const h = (header as (k: TestKey) => Record<string, unknown>)(key);
    await expectAgree(token(key, h));
  });

  it('is stricter on one header: crit ["b64"] with b64 true (jose accepts it; jwt.ts refuses)', async () => {
    const { jose, jwt } = await both(token(keys.RS256 as TestKey, { crit: ['b64'], b64: true }));
    expect(jose.ok).toBe(true);
    expect(jwt).toEqual({ ok: false, reason: 'malformed' });
  });

  const claimCases: Array<[string, Record<string, unknown>]> = [
    ['iss missing', { iss: undefined }],
    ['iss another', { iss: 'https://evil.example.com' }],
    ['iss with a trailing slash', { iss: `${ISSUER}/` }],
    ['iss a number', { iss: 1 }],
    ['aud missing', { aud: undefined }],
    ['aud another', { aud: 'other' }],
    ['aud a list with it', { aud: ['other', AUDIENCE] }],
    ['aud a list without it', { aud: ['other'] }],
    ['aud a list with a non-string', { aud: [1, AUDIENCE] }],
    ['aud an empty list', { aud: [] }],
    ['aud an object', { aud: { hallpass: true } }],
    ['exp missing', { exp: undefined }],
    ['exp a string', { exp: String(NOW + 600) }],
    ['exp null', { exp: null }],
    ['exp now', { exp: NOW }],
    ['exp just inside the tolerance', { exp: NOW - TOLERANCE + 1 }],
    ['exp at the tolerance', { exp: NOW - TOLERANCE }],
    ['exp fractional inside', { exp: NOW - TOLERANCE + 0.5 }],
    ['nbf in the tolerance', { nbf: NOW + TOLERANCE }],
    ['nbf beyond it', { nbf: NOW + TOLERANCE + 1 }],
    ['nbf a string', { nbf: String(NOW) }],
    ['nbf null', { nbf: null }],
    ['iat a string', { iat: String(NOW) }],
    ['iat null', { iat: null }],
    ['iat in the future', { iat: NOW + 3600 }],
    ['iat missing', { iat: undefined }],
    ['sub a number', { sub: 42 }],
  ];
  it.each(claimCases)('claims: %s', async (_name, claims) => {
    await expectAgree(token(keys.ES256 as TestKey, {}, claims));
  });

  /** A token with exactly this payload text, validly signed by the ES256 key. */
  const rawToken = (payloadText: string, header: Record<string, unknown> = {}) => {
    const k = keys.ES256 as TestKey;
    const input = `${b64({ alg: 'ES256', kid: k.jwk.kid, ...header })}.${b64(payloadText)}`;
    return `${input}.${signature('ES256', input, k.privateKey)}`;
  };
  const claimsText = (prefix: string, suffix = '') =>
    `{${prefix}"iss":${JSON.stringify(ISSUER)},"aud":"${AUDIENCE}","sub":"alice","exp":${NOW + 600}${suffix}}`;
  const jsonCases: Array<[string, () => string]> = [
    ['a __proto__ member in the claims', () => rawToken(claimsText('"__proto__":{"iss":"x","admin":true},'))],
    [
      'a __proto__ member in the header',
      () => rawToken(claimsText(''), JSON.parse('{"__proto__":{"alg":"none"}}')),
    ],
    ['iss twice, the trusted one last', () => rawToken(claimsText('"iss":"https://evil.example.com",'))],
    ['iss twice, the trusted one first', () => rawToken(claimsText('', ',"iss":"https://evil.example.com"'))],
    ['exp beyond any number (1e400)', () => rawToken(claimsText('', ',"exp":1e400'))],
    ['a byte-order mark before the claims', () => rawToken(`\uFEFF${claimsText('')}`)],
    ['claims with trailing text', () => rawToken(`${claimsText('')} x`)],
  ];
  it.each(jsonCases)('JSON: %s', async (_name, build) => {
    await expectAgree(build());
  });

  const encodingCases: Array<[string, () => string]> = [
    [
      'two parts',
      () =>
        token(keys.RS256 as TestKey)
          .split('.')
          .slice(0, 2)
          .join('.'),
    ],
    ['four parts', () => `${token(keys.RS256 as TestKey)}.AAAA`],
    [
      'an empty signature',
      () =>
        `${token(keys.RS256 as TestKey)
          .split('.')
          .slice(0, 2)
          .join('.')}.`,
    ],
    ['a signature of 4n+1 characters', () => `${token(keys.RS256 as TestKey)}A`],
    ['a header that is not JSON', () => `${b64('nope')}.${b64(baseClaims())}.c2ln`],
    ['a header that is a list', () => `${b64(['RS256'])}.${b64(baseClaims())}.c2ln`],
    [
      'a header of invalid UTF-8',
      () => `${Buffer.from([0xff, 0xfe]).toString('base64url')}.${b64(baseClaims())}.c2ln`,
    ],
    ['a header not base64url', () => `ey!J.${b64(baseClaims())}.c2ln`],
    [
      'a payload that is a list',
      () => {
        const k = keys.RS256 as TestKey;
        const input = `${b64({ alg: 'RS256', kid: k.jwk.kid })}.${b64([1])}`;
        return `${input}.${signature('RS256', input, k.privateKey)}`;
      },
    ],
    [
      'a payload that is a number',
      () => {
        const k = keys.RS256 as TestKey;
        const input = `${b64({ alg: 'RS256', kid: k.jwk.kid })}.${b64('7')}`;
        return `${input}.${signature('RS256', input, k.privateKey)}`;
      },
    ],
    [
      'an ECDSA signature in DER',
      () => {
        const k = keys.ES256 as TestKey;
        const input = `${b64({ alg: 'ES256', kid: k.jwk.kid })}.${b64(baseClaims())}`;
        return `${input}.${signature('ES256', input, k.privateKey, true)}`;
      },
    ],
    [
      'an ES256 signature one byte short',
      () => {
        const [h, p, s = ''] = token(keys.ES256 as TestKey).split('.');
        return `${h}.${p}.${Buffer.from(s, 'base64url').subarray(1).toString('base64url')}`;
      },
    ],
    [
      'a PS256 token signed with another salt length',
      () => {
        const k = keys.PS256 as TestKey;
        const input = `${b64({ alg: 'PS256', kid: k.jwk.kid })}.${b64(baseClaims())}`;
        const s = sign('sha256', Buffer.from(input), {
          key: k.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 20,
        });
        return `${input}.${s.toString('base64url')}`;
      },
    ],
    ['an RS256 token signed as PS256', () => token(keys.RS256 as TestKey, {}, {}, 'PS256')],
  ];
  it.each(encodingCases)('encoding: %s', async (_name, build) => {
    const outcome = await expectAgree(build());
    expect(outcome.ok).toBe(false);
  });

  it('refuses an RSA key under 2048 bits, as jose does (which logs it as invalid)', async () => {
    const { jose, jwt } = await both(token(small));
    expect(jose).toEqual({ ok: false, reason: 'invalid' });
    expect(jwt).toEqual(jose);
  });

  const jwkCases: Array<[string, (k: TestKey) => Jwk[]]> = [
    ['no kid on the key, none on the token', (k) => [{ ...k.jwk, kid: undefined }]],
    ['use enc', (k) => [{ ...k.jwk, use: 'enc' }]],
    ['key_ops without verify', (k) => [{ ...k.jwk, key_ops: ['sign'] }]],
    ['key_ops with verify', (k) => [{ ...k.jwk, key_ops: ['verify'] }]],
    ['key_ops repeated', (k) => [{ ...k.jwk, key_ops: ['verify', 'verify'] }]],
    ['key_ops sign and verify', (k) => [{ ...k.jwk, key_ops: ['sign', 'verify'] }]],
    ['key_ops verify and an unknown one', (k) => [{ ...k.jwk, key_ops: ['verify', 'frobnicate'] }]],
    ['a private member (d)', (k) => [{ ...k.jwk, d: 'AAAA' }]],
    [
      'two keys of its type without alg or kid, and a token without kid',
      (k) => [
        { ...k.jwk, kid: undefined, alg: undefined },
        { ...keyPair(k.alg, 'x').jwk, kid: undefined, alg: undefined },
      ],
    ],
    ['key_ops not a list', (k) => [{ ...k.jwk, key_ops: 'verify' }]],
    ['ext a string', (k) => [{ ...k.jwk, ext: 'yes' }]],
    ['alg of another algorithm', (k) => [{ ...k.jwk, alg: k.alg === 'RS256' ? 'RS384' : 'RS256' }]],
    ['no alg on the key', (k) => [{ ...k.jwk, alg: undefined }]],
    ['two keys with the same kid', (k) => [k.jwk, { ...keyPair(k.alg, 'x').jwk, kid: k.jwk.kid }]],
    ['the right key and one of another kid', (k) => [k.jwk, keyPair(k.alg, 'other').jwk]],
    [
      'another curve or type under the kid',
      (k) => [{ ...keyPair(k.alg === 'ES256' ? 'ES384' : 'ES256', 'x').jwk, kid: k.jwk.kid }],
    ],
    ['a key whose x is broken', (k) => [{ ...k.jwk, ...(k.jwk.x ? { x: 'AAAA' } : { n: 'AAAA' }) }]],
  ];
  it.each(
    jwkCases.flatMap(([name, jwks]) =>
      ['RS256', 'PS384', 'ES256', 'ES512', 'EdDSA'].map((alg) => [name, alg, jwks]),
    ),
  )('key set: %s (%s)', async (name, alg, jwks) => {
    const key = keys[alg as string] as TestKey;
    const keysOf = (jwks as (k: TestKey) => Jwk[])(key).map((jwk) => dropUndefined({ ...jwk }));
    const header = /none on the token|a token without kid/.test(name as string) ? { kid: undefined } : {};
    await expectAgree(token(key, header), { keys: keysOf });
  });
});
