// The default roles file (local/sts-roles.yaml), as local mode uses it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import { assumeRole, client, failure, VEND, validationError } from './helpers.ts';

let sts: LocalSts;

beforeAll(async () => {
  sts = await startLocalSts();
});
afterAll(() => sts.close());

describe('the default roles file', () => {
  it('lets the local vend identity assume both hallpass roles', async () => {
    const sdk = client(sts.url, VEND);
    const sandbox = await assumeRole(sdk, {
      RoleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
    });
    const prod = await assumeRole(sdk, { RoleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin' });
    expect(sandbox.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice',
    );
    expect(prod.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::222222222222:assumed-role/hallpass-prod-admin/alice',
    );
  });

  it('treats the vend identity as role chaining, so more than one hour is refused', async () => {
    const result = await failure(assumeRole(client(sts.url, VEND), { DurationSeconds: 3601 }));
    expect(result.name).toBe('ValidationError');
  });
});

describe('a roles file with mistakes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-sts-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is refused at start, naming the offending field', async () => {
    const file = join(dir, 'roles.yaml');
    await writeFile(file, 'roles:\n  - arn: arn:aws:iam::111111111111:role/x\n    maxSessionDuration: 60\n');
    await expect(startLocalSts({ rolesFile: file })).rejects.toThrow(/maxSessionDuration/);
  });

  it('loads a role whose MaxSessionDuration it then enforces', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(
      file,
      [
        'callers:',
        `  - { accessKeyId: ${VEND.accessKeyId}, secretAccessKey: ${VEND.secretAccessKey},`,
        `      sessionToken: ${VEND.sessionToken}, arn: 'arn:aws:iam::000000000000:user/dev' }`,
        'roles:',
        '  - arn: arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
        '    trustedPrincipals: [arn:aws:iam::000000000000:user/dev]',
      ].join('\n'),
    );
    const custom = await startLocalSts({ rolesFile: file });
    try {
      // maxSessionDuration was left out: IAM's default of one hour applies.
      expect(await failure(assumeRole(client(custom.url, VEND), { DurationSeconds: 3601 }))).toEqual(
        validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'),
      );
    } finally {
      await custom.close();
    }
  });
});
