// The local KMS's signing keys: RSA 2048 key pairs, made on first use and kept in a JSON file when one
// is given, so that a restart serves the same public keys (and so the same JWKS) as before.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { KmsError } from './errors.ts';

/** The alias that names the first key, as a deployment's alias names its signing key. */
export const SIGNING_ALIAS = 'alias/hallpass-local-signing';

export interface LocalKey {
  /** The uuid form. */
  keyId: string;
  arn: string;
  createdAt: Date;
  privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo, as GetPublicKey returns it. */
  publicKeyDer: Buffer;
  enabled: boolean;
}

export interface KeyRing {
  keys: LocalKey[];
  /** The key a KeyId names (uuid, key ARN, alias or alias ARN), or NotFoundException. */
  resolve(keyId: string): LocalKey;
}

export interface KeyRingOptions {
  region: string;
  account: string;
  count: number;
  file?: string;
}

/** What the key file holds. The ARNs are not in it: they follow the server's region and account. */
const keyFileSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      keyId: z.uuid(),
      createdAt: z.iso.datetime(),
      privateKeyPem: z.string().startsWith('-----BEGIN PRIVATE KEY-----'),
    }),
  ),
});
type KeyFile = z.infer<typeof keyFileSchema>;

const generateRsaKey = promisify(generateKeyPair);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function readKeyFile(file: string | undefined): Promise<KeyFile> {
  if (!file) return { keys: [] };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [] };
    throw error;
  }
  const result = keyFileSchema.safeParse(JSON.parse(text));
  if (!result.success)
    throw new Error(`invalid local KMS key file ${file}:\n${z.prettifyError(result.error)}`);
  return result.data;
}

// Through a temporary file and a rename, so that a crash never leaves half a key file behind; readable
// by its owner only, as it holds private keys.
async function writeKeyFile(file: string, content: KeyFile) {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/**
 * Loads the keys from the key file, makes the missing ones up to `count` and writes the file back when
 * it made any. Keys already in the file are all kept, even beyond `count`: dropping one would withdraw
 * it from the JWKS.
 */
export async function loadKeyRing(options: KeyRingOptions): Promise<KeyRing> {
  const stored = await readKeyFile(options.file);
  const added: KeyFile['keys'] = [];
  while (stored.keys.length + added.length < options.count) {
    const { privateKey } = await generateRsaKey('rsa', { modulusLength: 2048 });
    added.push({
      keyId: randomUUID(),
      createdAt: new Date().toISOString(),
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    });
  }
  const all = [...stored.keys, ...added];
  if (options.file && added.length > 0) await writeKeyFile(options.file, { keys: all });

  const prefix = `arn:aws:kms:${options.region}:${options.account}:`;
  const keys = all.map((entry): LocalKey => {
    const privateKey = createPrivateKey(entry.privateKeyPem);
    return {
      keyId: entry.keyId,
      arn: `${prefix}key/${entry.keyId}`,
      createdAt: new Date(entry.createdAt),
      privateKey,
      publicKeyDer: createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
      enabled: true,
    };
  });

  function resolve(keyId: string): LocalKey {
    const name = keyId.startsWith(`${prefix}alias/`) ? keyId.slice(prefix.length) : keyId;
    if (name.startsWith('alias/')) {
      const key = name === SIGNING_ALIAS ? keys[0] : undefined;
      if (!key) throw new KmsError('NotFoundException', `Alias ${prefix}${name} is not found.`);
      return key;
    }
    const id = keyId.startsWith(`${prefix}key/`) ? keyId.slice(`${prefix}key/`.length) : keyId;
    if (!UUID.test(id)) throw new KmsError('NotFoundException', `Invalid keyId '${keyId}'`);
    const key = keys.find((candidate) => candidate.keyId === id);
    if (!key) throw new KmsError('NotFoundException', `Key '${prefix}key/${id}' does not exist`);
    return key;
  }

  return { keys, resolve };
}
