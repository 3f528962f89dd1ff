/**
 * hallpass's own JWTs, signed by an asymmetric KMS key (RSA_2048, SIGN_VERIFY), and the JWKS that
 * publishes the public keys for whoever verifies them (AWS STS, for AssumeRoleWithWebIdentity). The
 * private key never leaves KMS, and the claims never go to it: KMS signs the SHA-256 digest of the
 * signing input. The client comes from `deps.ts`; its endpoint follows the SDK's conventions
 * (AWS_ENDPOINT_URL_KMS), so the same code runs against AWS and the local KMS.
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  type KMSClient,
  SignCommand,
  type SignCommandOutput,
} from '@aws-sdk/client-kms';
import { calculateJwkThumbprint } from 'jose';
import { UpstreamUnavailableError } from '../errors.ts';

export interface SigningKeys {
  /** The key that signs. Prefer a key ARN to an alias: a key's kid is cached, an alias can move. */
  signingKeyId: string;
  /** Keys whose public halves are published beside the signing key's: the next one, or the last. */
  publishedKeyIds: string[];
}

/** An RSA public key as the JWKS publishes it; `kid` is its RFC 7638 thumbprint. */
export interface PublishedJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

export interface JwtSigner {
  /** A compact JWS (RS256) over the claims, with the signing key's kid in its header. */
  sign(payload: Record<string, unknown>): Promise<string>;
  /** The signing key's public key first, then every other published one. */
  jwks(): Promise<{ keys: PublishedJwk[] }>;
}

interface PublicKey {
  /** The key ARN KMS answered with, whatever form of id it was asked with. */
  arn: string;
  jwk: PublishedJwk;
}

const SIGNING_ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';

// Refusals that no retry mends: the key id, the key's state or the function's permissions are wrong.
// Each says what to check.
const KEY_PROBLEMS: Record<string, string> = {
  NotFoundException: 'does not exist: check the key id, and that the key is in the client region',
  DisabledException: 'is disabled: enable it, or configure another key',
  KMSInvalidStateException: 'is not usable (pending deletion, or pending import): configure another key',
  AccessDeniedException:
    "is not usable by this function: check its role's kms:Sign and kms:GetPublicKey permissions and the key policy",
  InvalidKeyUsageException: 'is not an RSA SIGN_VERIFY key that signs with RSASSA_PKCS1_V1_5_SHA_256',
};

function kmsError(
  error: unknown,
  operation: 'Sign' | 'GetPublicKey',
  keyId: string,
): UpstreamUnavailableError {
  const name = (error as { name?: string }).name ?? 'Error';
  const problem = KEY_PROBLEMS[name];
  if (problem) {
    return new UpstreamUnavailableError(
      'kms',
      `KMS ${operation} refused key ${keyId} (${name}): it ${problem}`,
      { cause: error, retryAfterSeconds: 30 },
    );
  }
  return new UpstreamUnavailableError('kms', `KMS is unavailable (${operation}: ${name})`, {
    cause: error,
    retryAfterSeconds: 2,
  });
}

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

async function fetchPublicKey(client: KMSClient, keyId: string): Promise<PublicKey> {
  let output: GetPublicKeyCommandOutput;
  try {
    output = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  } catch (error) {
    throw kmsError(error, 'GetPublicKey', keyId);
  }
  if (!output.PublicKey || !output.KeyId || !output.KeySpec?.startsWith('RSA_')) {
    throw new UpstreamUnavailableError(
      'kms',
      `KMS answered GetPublicKey for key ${keyId} without an RSA public key (${output.KeySpec ?? 'no key spec'}): configure an RSA SIGN_VERIFY key`,
    );
  }
  const der = Buffer.from(output.PublicKey);
  const { n = '', e = '' } = createPublicKey({ key: der, format: 'der', type: 'spki' }).export({
    format: 'jwk',
  });
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n, e });
  return { arn: output.KeyId, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
}

/**
 * Builds the container's signer. `sign` takes the signing key's kid (fetching its public key once),
 * encodes the header and the claims, has KMS sign the SHA-256 digest of `header.payload`
 * (RSASSA_PKCS1_V1_5_SHA_256, MessageType DIGEST) and appends the signature. `jwks` answers the public
 * keys of the signing key and of every published key, deduplicated by kid. Public keys are fetched
 * once per container and kept; a failed fetch is not kept, so the next call tries again.
 */
export function createJwtSigner(client: KMSClient, keys: SigningKeys): JwtSigner {
  const publicKeys = new Map<string, Promise<PublicKey>>();

  function publicKey(keyId: string): Promise<PublicKey> {
    const known = publicKeys.get(keyId);
    if (known) return known;
    const fetched = fetchPublicKey(client, keyId);
    publicKeys.set(keyId, fetched);
    fetched.catch(() => {
      if (publicKeys.get(keyId) === fetched) publicKeys.delete(keyId);
    });
    return fetched;
  }

  async function sign(payload: Record<string, unknown>): Promise<string> {
    const { signingKeyId } = keys;
    const signing = await publicKey(signingKeyId);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: signing.jwk.kid }));
    const signingInput = `${header}.${base64url(JSON.stringify(payload))}`;
    let output: SignCommandOutput;
    try {
      output = await client.send(
        new SignCommand({
          KeyId: signingKeyId,
          Message: createHash('sha256').update(signingInput).digest(),
          MessageType: 'DIGEST',
          SigningAlgorithm: SIGNING_ALGORITHM,
        }),
      );
    } catch (error) {
      throw kmsError(error, 'Sign', signingKeyId);
    }
    if (!output.Signature) {
      throw new UpstreamUnavailableError(
        'kms',
        `KMS answered Sign for key ${signingKeyId} without a signature`,
      );
    }
    // An alias moved to another key since its public key was read: the header's kid would name the
    // old key, and the token would not verify. Forget the old key, so that the next call reads the new one.
    if (output.KeyId !== signing.arn) {
      publicKeys.delete(signingKeyId);
      throw new UpstreamUnavailableError(
        'kms',
        `KMS signed with ${output.KeyId ?? 'an unnamed key'} where key ${signingKeyId} was ${signing.arn}: its alias moved; the next call uses the new key`,
        { retryAfterSeconds: 1 },
      );
    }
    return `${signingInput}.${base64url(output.Signature)}`;
  }

  async function jwks(): Promise<{ keys: PublishedJwk[] }> {
    const keyIds = [...new Set([keys.signingKeyId, ...keys.publishedKeyIds])];
    // All or nothing (fail closed): a published key that cannot be read fails the whole JWKS rather
    // than leaving it out, so that a rotation that lost its key is seen at once, not when the tokens
    // it signed stop verifying.
    const published = await Promise.all(keyIds.map(publicKey));
    const byKid = new Map(published.map(({ jwk }) => [jwk.kid, jwk]));
    return { keys: [...byKid.values()] };
  }

  return { sign, jwks };
}
