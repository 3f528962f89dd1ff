import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
  STSClient,
  type STSClientConfig,
} from '@aws-sdk/client-sts';
import type { LocalStsConfig } from '../../local/sts/server.ts';
import { AWS_CLI } from '../support/aws-cli.ts';

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Like the default roles file's vend identity: an assumed-role session, so every AssumeRole chains. */
export const VEND: Keys = {
  accessKeyId: 'ASIAHALLPASSLOCALVEND',
  secretAccessKey: 'local-vend-secret-not-a-real-key',
  sessionToken: 'local-vend-session-token-not-a-real-token',
};
/** An IAM user: its AssumeRole calls are not role chaining, so they may last up to 12 h. */
export const ADMIN: Keys = {
  accessKeyId: 'AKIALOCALTESTADMIN01',
  secretAccessKey: 'local-admin-secret-not-real',
};
/** Known to the server but trusted by no role. */
export const STRANGER: Keys = {
  accessKeyId: 'AKIALOCALSTRANGER001',
  secretAccessKey: 'local-stranger-secret-not-real',
};

export const SANDBOX = 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly';
export const LONG = 'arn:aws:iam::333333333333:role/teams/hallpass-long-sessions';
export const PARTNER = 'arn:aws:iam::444444444444:role/hallpass-partner';
export const PARTNER_EXTERNAL_ID = 'partner-external-id-1';

const VEND_ROLE = 'arn:aws:iam::000000000000:role/hallpass-local-vend';
const ADMIN_USER = 'arn:aws:iam::000000000000:user/local-admin';

export const TEST_CONFIG: LocalStsConfig = {
  callers: [
    {
      ...VEND,
      arn: 'arn:aws:sts::000000000000:assumed-role/hallpass-local-vend/hallpass',
      principalArn: VEND_ROLE,
    },
    { ...ADMIN, arn: ADMIN_USER },
    { ...STRANGER, arn: 'arn:aws:iam::000000000000:user/stranger' },
  ],
  roles: [
    { arn: SANDBOX, maxSessionDuration: 3600, trustedPrincipals: [VEND_ROLE, ADMIN_USER] },
    // Trusts the sandbox role too, so a sandbox session can chain into it.
    { arn: LONG, maxSessionDuration: 43200, trustedPrincipals: [VEND_ROLE, ADMIN_USER, SANDBOX] },
    { arn: PARTNER, trustedPrincipals: [VEND_ROLE], externalId: PARTNER_EXTERNAL_ID },
  ],
};

/** The server's clock, which tests can shift or stop. Real time by default. */
export class TestClock {
  offsetMs = 0;
  frozenAt: number | undefined;
  readonly now = () => new Date(this.frozenAt ?? Date.now() + this.offsetMs);

  /** Stops the clock on a whole second, so expirations can be asserted exactly. */
  freeze(): number {
    this.frozenAt = Math.floor(Date.now() / 1000) * 1000;
    return this.frozenAt;
  }

  reset() {
    this.offsetMs = 0;
    this.frozenAt = undefined;
  }
}

// One attempt: these tests assert on errors, and retries would only repeat them.
export const client = (url: string, credentials: Keys, config: Partial<STSClientConfig> = {}) =>
  new STSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1, ...config });

export function assumeRole(sts: STSClient, input: Partial<AssumeRoleCommandInput> = {}) {
  return sts.send(new AssumeRoleCommand({ RoleArn: SANDBOX, RoleSessionName: 'alice', ...input }));
}

export function keysOf(output: AssumeRoleCommandOutput): Keys {
  const { AccessKeyId = '', SecretAccessKey = '', SessionToken } = output.Credentials ?? {};
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken };
}

export interface Failure {
  /** The SDK's class name: the wire code, except for errors the STS model declares (`...Exception`). */
  name: string;
  /** The `<Code>` on the wire. */
  code: string | undefined;
  message: string;
  status: number | undefined;
}

/** The error a call rejects with, reduced to what AWS callers look at. */
export async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (error) {
    const e = error as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, code: e.Code, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** `ValidationError` with AWS's single-violation message. */
export const violation = (value: string, at: string, constraint: string): Failure => ({
  name: 'ValidationError',
  code: 'ValidationError',
  message: `1 validation error detected: Value '${value}' at '${at}' failed to satisfy constraint: Member must ${constraint}`,
  status: 400,
});

export const validationError = (message: string): Failure => ({
  name: 'ValidationError',
  code: 'ValidationError',
  message,
  status: 400,
});

/** A syntactically valid policy document of exactly `length` characters. */
export function policyOfLength(length: number): string {
  const shell = (pad: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket/${pad}` }],
    });
  return shell('a'.repeat(length - shell('').length));
}

const execFileAsync = promisify(execFile);

/** Runs the real AWS CLI against the server, isolated from any local AWS configuration. */
export async function awsCli(url: string, keys: Keys, args = ['sts', 'get-caller-identity']) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  if (keys.sessionToken) env.AWS_SESSION_TOKEN = keys.sessionToken;
  try {
    const { stdout, stderr } = await execFileAsync(
      AWS_CLI,
      [...args, '--endpoint-url', url, '--output', 'json'],
      {
        env,
      },
    );
    return { ok: true, stdout, stderr };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, stdout, stderr };
  }
}

/** The AWS CLI starts a Python interpreter per call; give it room on a busy machine. */
export const CLI_TIMEOUT = { timeout: 60_000 };
