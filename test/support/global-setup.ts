/**
 * Starts the real local parts once per test run: dynalite (in memory) with the tables of
 * serverless.yml, the local STS, and a dev OIDC issuer with a key made for this run. Test files
 * receive their addresses through `inject('stack')`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import { ensureTables, startDynalite } from '../../local/dynamodb.ts';
import { loadOrCreateIssuerKey } from '../../local/issuer/keys.ts';
import { startDevIssuer } from '../../local/issuer/server.ts';
import { startLocalSts } from '../../local/sts/server.ts';
import { TEST_STAGE, type TestStack } from './stack-info.ts';

export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-test-'));
  const dynamo = await startDynalite({ port: 0 });
  const sts = await startLocalSts({ port: 0 });
  const key = await loadOrCreateIssuerKey(join(dir, 'issuer-key.json'));
  const issuer = await startDevIssuer(key, 0);
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const tables = await ensureTables(client, TEST_STAGE);
  client.destroy();

  const stack: TestStack = {
    dynamodb: dynamo.url,
    sts: sts.url,
    issuer: issuer.url,
    issuerKey: key,
    auditTable: tables.AuditTable as string,
    requestsTable: tables.RequestsTable as string,
  };
  project.provide('stack', stack);

  return async () => {
    await Promise.all([dynamo.close(), sts.close(), issuer.close()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
