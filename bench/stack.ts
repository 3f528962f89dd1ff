/**
 * The local services the benchmark measures against, all in this process and in memory: dynalite
 * with serverless.yml's tables, the local STS (SigV4-verified, the roles of local/sts-roles.yaml) and
 * the dev OIDC issuer with a key made for this run. `serviceEnv` is the environment a deployed
 * function would have, pointed at them (as test/support/env.ts does for the tests).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import { ensureTables, startDynalite } from '../local/dynamodb.ts';
import { type IssuerKey, loadOrCreateIssuerKey, signDevToken } from '../local/issuer/keys.ts';
import { startDevIssuer } from '../local/issuer/server.ts';
import { startLocalSts } from '../local/sts/server.ts';

export const STAGE = 'bench';
export const AUDIENCE = 'hallpass';
export const CATALOG = 'catalog/example.yaml';
export const ENTITLEMENT = 'sandbox-readonly';
/** The caller: in the group that may request ENTITLEMENT, with a display name (as most tokens have). */
export const CALLER = { sub: 'alice', groups: ['engineers'], name: 'Alice Doe' };

export interface Stack {
  urls: { dynamodb: string; sts: string; issuer: string };
  tables: { audit: string; requests: string };
  env: Record<string, string>;
  issuerKey: IssuerKey;
  token(): Promise<string>;
  close(): Promise<void>;
}

interface Caller {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export async function startStack(): Promise<Stack> {
  // Node 20 is supported here: the SDK's notice about its future versions would only add noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-bench-'));
  const dynamo = await startDynalite({ port: 0 });
  const sts = await startLocalSts({ port: 0 });
  const issuerKey = await loadOrCreateIssuerKey(join(dir, 'issuer-key.json'));
  const issuer = await startDevIssuer(issuerKey, 0);

  const setup = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.url,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const names = await ensureTables(setup, STAGE);
  setup.destroy();
  const tables = { audit: names.AuditTable as string, requests: names.RequestsTable as string };

  const caller = (parse(readFileSync('local/sts-roles.yaml', 'utf8')) as { callers: Caller[] }).callers[0];
  if (!caller) throw new Error('local/sts-roles.yaml names no caller');

  const env: Record<string, string> = {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
    AWS_SESSION_TOKEN: caller.sessionToken,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    HALLPASS_ISSUER: issuer.url,
    HALLPASS_AUDIENCE: AUDIENCE,
    HALLPASS_CATALOG: CATALOG,
    HALLPASS_AUDIT_TABLE: tables.audit,
    HALLPASS_REQUESTS_TABLE: tables.requests,
  };

  return {
    urls: { dynamodb: dynamo.url, sts: sts.url, issuer: issuer.url },
    tables,
    env,
    issuerKey,
    // Valid for an hour (longer than any run), and each one distinct (its own jti): RS256 signatures
    // are deterministic, so two tokens signed in the same second would otherwise be the same string.
    token: () =>
      signDevToken(issuerKey, issuer.url, {
        sub: CALLER.sub,
        groups: CALLER.groups,
        name: CALLER.name,
        audience: AUDIENCE,
        expiresIn: 3600,
        extra: { jti: randomUUID() },
      }),
    close: async () => {
      await Promise.all([dynamo.close(), sts.close(), issuer.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
