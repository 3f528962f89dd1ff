// AWS Signature Version 4, verified the way AWS does it: rebuild the canonical request from what
// arrived on the wire, sign it with the secret we hold for the access key, and compare.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { MESSAGES, StsError } from './errors.ts';
import type { Identity } from './keys.ts';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** Path and query string as received, still percent-encoded. */
  path: string;
  query: string;
  /** Lower-cased names; repeated headers joined with commas, as SigV4 canonicalises them. */
  headers: Record<string, string>;
  body: Buffer;
}

interface Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Returns the identity behind a correctly signed request. The checks run in the order that gives the
 * most useful answer: malformed header, clock skew, unknown key or token, expiry, and only then the
 * signature itself (a wrong secret is indistinguishable from a tampered request). `service` is the
 * credential scope the request must be signed for (other local AWS stand-ins, e.g. KMS, share this).
 */
export function authenticate(
  request: SignedRequest,
  now: Date,
  lookup: (accessKeyId: string) => Identity | undefined,
  service = 'sts',
): Identity {
  const header = request.headers.authorization;
  if (!header) throw new StsError('MissingAuthenticationToken', MESSAGES.missingAuth);
  const auth = parseAuthorization(header, service);
  const amzDate = checkRequestTime(request.headers['x-amz-date'], auth.date, now);

  const identity = lookup(auth.accessKeyId);
  if (!identity || identity.sessionToken !== request.headers['x-amz-security-token']) {
    throw new StsError('InvalidClientTokenId', MESSAGES.invalidToken);
  }
  if (identity.expiration && identity.expiration.getTime() <= now.getTime()) {
    throw new StsError('ExpiredToken', MESSAGES.expiredToken);
  }
  const expected = Buffer.from(signature(request, auth, amzDate, identity.secretAccessKey));
  const provided = Buffer.from(auth.signature);
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    throw new StsError('SignatureDoesNotMatch', MESSAGES.badSignature);
  }
  return identity;
}

function parseAuthorization(header: string, expectedService: string): Authorization {
  const [algorithm = '', ...rest] = header.trim().split(/\s+/);
  if (algorithm !== ALGORITHM) {
    throw new StsError('IncompleteSignature', `Unsupported AWS 'algorithm': '${algorithm}'`);
  }
  const fields = new Map<string, string>();
  for (const part of rest.join('').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    throw new StsError(
      'IncompleteSignature',
      missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '),
    );
  }
  const [accessKeyId = '', date = '', region = '', service = '', terminator, ...extra] = (
    fields.get('Credential') ?? ''
  ).split('/');
  if (terminator !== 'aws4_request' || extra.length > 0 || !accessKeyId || !/^\d{8}$/.test(date)) {
    throw new StsError(
      'IncompleteSignature',
      "Credential should be scoped with a valid terminator: 'aws4_request'.",
    );
  }
  if (service !== expectedService) {
    throw new StsError(
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${expectedService}'. `,
    );
  }
  const signedHeaders = (fields.get('SignedHeaders') ?? '').split(';');
  if (!signedHeaders.includes('host')) {
    throw new StsError('IncompleteSignature', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return { accessKeyId, date, region, service, signedHeaders, signature: fields.get('Signature') ?? '' };
}

/** A signature is only valid for 15 minutes either side of the server's clock (replay protection). */
function checkRequestTime(amzDate: string | undefined, scopeDate: string, now: Date): string {
  if (!amzDate) {
    throw new StsError(
      'IncompleteSignature',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  // Basic format (20261128T130000Z) to extended, which Date.parse understands.
  const extended = amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
  const signedAt = extended === amzDate ? Number.NaN : Date.parse(extended);
  if (Number.isNaN(signedAt)) {
    throw new StsError(
      'IncompleteSignature',
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  const serverTime = basicFormat(now.getTime());
  if (signedAt < now.getTime() - MAX_SKEW_MS) {
    const limit = basicFormat(now.getTime() - MAX_SKEW_MS);
    throw new StsError(
      'SignatureDoesNotMatch',
      `Signature expired: ${amzDate} is now earlier than ${limit} (${serverTime} - 15 min.)`,
    );
  }
  if (signedAt > now.getTime() + MAX_SKEW_MS) {
    const limit = basicFormat(now.getTime() + MAX_SKEW_MS);
    throw new StsError(
      'SignatureDoesNotMatch',
      `Signature not yet current: ${amzDate} is still later than ${limit} (${serverTime} + 15 min.)`,
    );
  }
  if (amzDate.slice(0, 8) !== scopeDate) {
    throw new StsError(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  return amzDate;
}

const basicFormat = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

function signature(request: SignedRequest, auth: Authorization, amzDate: string, secret: string): string {
  const canonicalRequest = [
    request.method,
    canonicalPath(request.path),
    canonicalQuery(request.query),
    auth.signedHeaders.map((name) => `${name}:${canonicalValue(request.headers[name])}\n`).join(''),
    auth.signedHeaders.join(';'),
    // Always the hash of the bytes received, never the client's x-amz-content-sha256 claim: an honest
    // client signs the same value, and a body that does not match its claimed hash then fails here.
    sha256(request.body),
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secret}`, auth.date);
  for (const part of [auth.region, auth.service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, stringToSign).toString('hex');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const canonicalValue = (value = '') => value.trim().replace(/\s+/g, ' ');

/** RFC 3986 encoding: encodeURIComponent leaves !'()* alone, SigV4 does not. */
const uriEncode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

// Services other than S3 sign the path encoded once more on top of its wire form.
const canonicalPath = (path: string) => path.split('/').map(uriEncode).join('/') || '/';

function canonicalQuery(query: string): string {
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const [name, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [uriEncode(decode(name)), uriEncode(decode(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}
