/**
 * The local federation endpoint's sign-in tokens: a base64url JSON claim set and its HMAC-SHA256
 * under a key made per process, so a token is good only on the server that issued it and any
 * change to it is seen. (AWS's tokens are opaque; these need only be unforgeable.)
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SigninClaims {
  accessKeyId: string;
  /** The assumed-role ARN the console session acts as. */
  arn: string;
  /** When the console session ends (ISO 8601). */
  sessionExpiresAt: string;
  /** When this token stops being accepted by login (ISO 8601). */
  expiresAt: string;
}

export interface SigninTokens {
  sign(claims: SigninClaims): string;
  /** The claims of an untampered token, or undefined. Expiry is the caller's to judge. */
  verify(token: string): SigninClaims | undefined;
}

const isClaims = (value: unknown): value is SigninClaims => {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    ['accessKeyId', 'arn', 'sessionExpiresAt', 'expiresAt'].every((key) => typeof v[key] === 'string')
  );
};

export function signinTokens(key: Buffer = randomBytes(32)): SigninTokens {
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    sign(claims) {
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      const [payload, signature, ...rest] = token.split('.');
      if (!payload || !signature || rest.length > 0) return undefined;
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(payload);
      // base64url decoding skips characters outside its alphabet: compare the re-encoding too.
      if (given.toString('base64url') !== signature) return undefined;
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        return isClaims(claims) ? claims : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
