// The default roles file (local/sts-roles.yaml), as local mode uses it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import { assumeRole, client, failure, VEND, validationError } from './helpers.ts';
import { startTestIssuer, type TestIssuer } from './issuer.ts';

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

describe("the default roles file's web identity role", () => {
  const POWERUSER = 'arn:aws:iam::111111111111:role/hallpass-sandbox-poweruser';
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(() => issuer.close());

  const assumeWithToken = async (server: LocalSts, sub: string) =>
    new STSClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 }).send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: POWERUSER,
        RoleSessionName: 'alice',
        WebIdentityToken: await issuer.token({ sub }),
        DurationSeconds: 43200,
      }),
    );

  it('trusts hallpass at HALLPASS_URL for its sandbox-poweruser subjects, for up to 12 hours', async () => {
    const withUrl = await startLocalSts({ variables: { HALLPASS_URL: issuer.url } });
    try {
      const out = await assumeWithToken(withUrl, 'sandbox-poweruser:alice@example.com');
      expect(out.AssumedRoleUser?.Arn).toBe(
        'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-poweruser/alice',
      );
      expect((await failure(assumeWithToken(withUrl, 'prod-admin:alice@example.com'))).code).toBe(
        'AccessDenied',
      );
    } finally {
      await withUrl.close();
    }
  });

  it('loads without HALLPASS_URL, leaving that provider unusable', async () => {
    expect(await failure(assumeWithToken(sts, 'sandbox-poweruser:alice@example.com'))).toMatchObject({
      code: 'InvalidIdentityToken',
      message: `No OpenIDConnect provider found in your account for ${issuer.url}`,
    });
  });

  it('is refused at start when variables are given but HALLPASS_URL is not among them', async () => {
    await expect(startLocalSts({ variables: { OTHER: 'x' } })).rejects.toThrow(
      /unknown variable \$\{HALLPASS_URL\} at roles\.2\.federated\.provider/,
    );
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
