import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalKms } from '../../local/kms/server.ts';
import { kmsClient, SIGNER } from './helpers.ts';

const dir = await mkdtemp(join(tmpdir(), 'hallpass-local-kms-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Starts a server on the key file, reads every key's public key, and stops it. */
async function publicKeys(keyFile: string, keyCount?: number) {
  const kms = await startLocalKms({ port: 0, callers: [SIGNER], keyFile, keyCount });
  try {
    const client = kmsClient(kms.url);
    const answers = await Promise.all(
      kms.keyIds.map((keyId) => client.send(new GetPublicKeyCommand({ KeyId: keyId }))),
    );
    return {
      keyIds: kms.keyIds,
      keys: answers.map((answer) => Buffer.from(answer.PublicKey ?? []).toString('base64')),
    };
  } finally {
    await kms.close();
  }
}

describe('the key file', () => {
  it('is made on first use, readable by its owner only', async () => {
    const keyFile = join(dir, 'nested', 'first-use.json');

    const { keyIds } = await publicKeys(keyFile);

    const stored = JSON.parse(await readFile(keyFile, 'utf8'));
    expect(stored.keys.map((key: { keyId: string }) => key.keyId)).toEqual(keyIds);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  });

  it('gives a restarted server the same keys', async () => {
    const keyFile = join(dir, 'restart.json');

    const before = await publicKeys(keyFile);
    const after = await publicKeys(keyFile);

    expect(after).toEqual(before);
  });

  it('gains a key when more are asked for, and keeps the ones it had', async () => {
    const keyFile = join(dir, 'grow.json');

    const one = await publicKeys(keyFile, 1);
    const two = await publicKeys(keyFile, 2);
    const backToOne = await publicKeys(keyFile, 1);

    expect(two.keyIds).toHaveLength(2);
    expect(two.keyIds[0]).toBe(one.keyIds[0]);
    expect(two.keys[1]).not.toBe(two.keys[0]);
    expect(backToOne).toEqual(two);
  });

  it('makes distinct keys without a file, one per start', async () => {
    const first = await startLocalKms({ port: 0, callers: [SIGNER] });
    const second = await startLocalKms({ port: 0, callers: [SIGNER] });
    await Promise.all([first.close(), second.close()]);

    expect(first.keyIds).toHaveLength(1);
    expect(first.keyIds[0]).not.toBe(second.keyIds[0]);
  });

  it('refuses to start on a file that is not a key file, naming it', async () => {
    const keyFile = join(dir, 'broken.json');
    await writeFile(keyFile, JSON.stringify({ keys: [{ keyId: 'not-a-uuid' }] }));

    await expect(startLocalKms({ port: 0, callers: [SIGNER], keyFile })).rejects.toThrow(keyFile);
  });
});
