// The KMS operations hallpass needs (Sign, GetPublicKey, DescribeKey), on the JSON protocol's bodies:
// blobs travel as base64 strings, and the checks run in AWS's order (the request's shape, then the
// key, then what the key allows).
import { constants, createHash, privateEncrypt } from 'node:crypto';
import { KmsError, validationError } from './errors.ts';
import type { KeyRing, LocalKey } from './keys.ts';

export type Body = Record<string, unknown>;

const KEY_SPEC = 'RSA_2048';
const KEY_USAGE = 'SIGN_VERIFY';
/** What the local keys sign with; a deployment's RSA keys allow more, hallpass uses only this one. */
const KEY_ALGORITHMS = ['RSASSA_PKCS1_V1_5_SHA_256'];
/** Every algorithm the KMS API knows: a name outside this set is a validation error, not a key error. */
const API_ALGORITHMS = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
];
const MESSAGE_TYPES = ['RAW', 'DIGEST', 'EXTERNAL_MU'];
const MAX_MESSAGE_BYTES = 4096;
const SHA256_BYTES = 32;
// DER of DigestInfo { sha256, NULL }, which PKCS#1 v1.5 puts in front of the digest before padding.
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const shown = (value: unknown) => `'${String(value)}'`;
const notNull = (at: string) => validationError(at, 'not be null', 'null');

function keyIdOf(body: Body): string {
  const keyId = body.KeyId ?? null;
  if (keyId === null) throw notNull('keyId');
  if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 2048) {
    throw validationError('keyId', 'have length between 1 and 2048', shown(keyId));
  }
  return keyId;
}

function enabledKey(keys: KeyRing, keyId: string): LocalKey {
  const key = keys.resolve(keyId);
  if (!key.enabled) throw new KmsError('DisabledException', `${key.arn} is disabled.`);
  return key;
}

function oneOf(body: Body, field: string, allowed: string[], fallback?: string): string {
  const value = body[field] ?? fallback;
  const at = field.charAt(0).toLowerCase() + field.slice(1);
  if (value === undefined) throw notNull(at);
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw validationError(at, `satisfy enum value set: [${allowed.join(', ')}]`, shown(value));
  }
  return value;
}

function messageOf(body: Body): Buffer {
  const encoded = body.Message ?? null;
  if (encoded === null) throw notNull('message');
  if (typeof encoded !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
    throw new KmsError('SerializationException', 'Message must be a base64-encoded blob');
  }
  const message = Buffer.from(encoded, 'base64');
  if (message.length === 0 || message.length > MAX_MESSAGE_BYTES) {
    throw validationError('message', `have length between 1 and ${MAX_MESSAGE_BYTES}`);
  }
  return message;
}

/** RSASSA-PKCS1-v1_5 over a SHA-256 digest computed elsewhere (RFC 8017 section 8.2.1). */
function signDigest(key: LocalKey, digest: Buffer): Buffer {
  return privateEncrypt(
    { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([SHA256_DIGEST_INFO, digest]),
  );
}

export function sign(keys: KeyRing, body: Body) {
  const keyId = keyIdOf(body);
  const message = messageOf(body);
  const algorithm = oneOf(body, 'SigningAlgorithm', API_ALGORITHMS);
  const messageType = oneOf(body, 'MessageType', MESSAGE_TYPES, 'RAW');
  const key = enabledKey(keys, keyId);
  if (!KEY_ALGORITHMS.includes(algorithm) || messageType === 'EXTERNAL_MU') {
    throw new KmsError(
      'InvalidKeyUsageException',
      `You cannot sign with ${algorithm} (${messageType}) on key ${key.arn} of spec ${KEY_SPEC}.`,
    );
  }
  if (messageType === 'DIGEST' && message.length !== SHA256_BYTES) {
    throw new KmsError('ValidationException', `Digest is invalid length for algorithm ${algorithm}.`);
  }
  const digest = messageType === 'RAW' ? createHash('sha256').update(message).digest() : message;
  return {
    KeyId: key.arn,
    Signature: signDigest(key, digest).toString('base64'),
    SigningAlgorithm: algorithm,
  };
}

export function getPublicKey(keys: KeyRing, body: Body) {
  const key = enabledKey(keys, keyIdOf(body));
  return {
    KeyId: key.arn,
    PublicKey: key.publicKeyDer.toString('base64'),
    CustomerMasterKeySpec: KEY_SPEC,
    KeySpec: KEY_SPEC,
    KeyUsage: KEY_USAGE,
    SigningAlgorithms: KEY_ALGORITHMS,
  };
}

/** Answers for disabled keys too, as AWS does: it is how an operator sees that a key is disabled. */
export function describeKey(keys: KeyRing, body: Body, account: string) {
  const key = keys.resolve(keyIdOf(body));
  return {
    KeyMetadata: {
      AWSAccountId: account,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.createdAt.getTime() / 1000,
      Enabled: key.enabled,
      Description: 'hallpass local signing key',
      KeyUsage: KEY_USAGE,
      KeyState: key.enabled ? 'Enabled' : 'Disabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: KEY_SPEC,
      KeySpec: KEY_SPEC,
      SigningAlgorithms: KEY_ALGORITHMS,
      MultiRegion: false,
    },
  };
}
