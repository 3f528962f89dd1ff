/**
 * `npm start [-- --fresh] [-- --aws-sts]`: the whole local stack, then the API through
 * serverless-offline. Prints one `ready api=... sts=... dynamodb=... issuer=...` line when the API
 * answers, and a short guide. Ctrl-C (SIGINT/SIGTERM) stops everything it started.
 *
 * PORT sets the API port (default 3000); the local services take PORT+10 (DynamoDB), PORT+11 (STS),
 * PORT+12 (issuer) and PORT+13 (the webhook receiver that prints notifications). AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_STS / HALLPASS_ISSUER, when
 * set, are used instead of starting the local service; --aws-sts uses AWS's STS through the default
 * credential chain. HALLPASS_CATALOG names another catalog file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parse as parseYaml } from 'yaml';
import { loadCatalog } from '../lib/catalog.ts';
import { ensureTables, startDynalite } from '../local/dynamodb.ts';
import { loadOrCreateIssuerKey } from '../local/issuer/keys.ts';
import { startDevIssuer } from '../local/issuer/server.ts';
import { startLocalNotifier } from '../local/notifier.ts';
import {
  DEFAULT_AUDIENCE,
  DYNAMODB_DIR,
  ISSUER_KEY_FILE,
  LOCAL_STAGE,
  STACK_FILE,
  STATE_DIR,
  type StackInfo,
} from '../local/paths.ts';
import { DEFAULT_ROLES_FILE } from '../local/sts/config.ts';
import { startLocalSts } from '../local/sts/server.ts';
import { startWebhookReceiver } from '../local/webhook-receiver.ts';

// Node 20 is fine for the SDK versions pinned here; Lambda runs nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values: flags } = parseArgs({
  options: { fresh: { type: 'boolean', default: false }, 'aws-sts': { type: 'boolean', default: false } },
  strict: true,
});

const say = (line: string) => process.stdout.write(`${line}\n`);
const stops: Array<() => Promise<void> | void> = [];
let api: ChildProcess | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // serverless-offline runs in its own process group: end the group, not just the npx shim.
    const child = api;
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
    }
    // A server's close waits for its keep-alive connections; exiting closes them all anyway.
    const closes = Promise.allSettled(stops.reverse().map((close) => Promise.resolve().then(close)));
    await Promise.race([closes, sleep(2000)]);
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

function fail(message: string): Promise<never> {
  process.stderr.write(`hallpass: ${message}\n`);
  return stop(1);
}

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 1 || port > 65535 - 13)
  await fail(`PORT must be a TCP port, got '${process.env.PORT}'`);

// A catalog that does not validate refuses to start, naming the bad field.
const catalogPath = process.env.HALLPASS_CATALOG ?? 'catalog/example.yaml';
try {
  loadCatalog(catalogPath, { maxSessionSeconds: Number(process.env.HALLPASS_MAX_SESSION_SECONDS ?? 3600) });
} catch (error) {
  await fail((error as Error).message);
}

if (flags.fresh) rmSync(STATE_DIR, { recursive: true, force: true });
mkdirSync(STATE_DIR, { recursive: true });

// Credentials the functions use. Locally: the local STS's vend identity (a role session, like a
// Lambda function's). With --aws-sts: whatever the default credential chain finds.
const localCaller = (
  parseYaml(readFileSync(DEFAULT_ROLES_FILE, 'utf8')) as {
    callers: Array<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  }
).callers[0];
const useLocalCredentials = !flags['aws-sts'] && !process.env.AWS_ENDPOINT_URL_STS;
const credentialsEnv: Record<string, string> =
  useLocalCredentials && localCaller
    ? {
        AWS_ACCESS_KEY_ID: localCaller.accessKeyId,
        AWS_SECRET_ACCESS_KEY: localCaller.secretAccessKey,
        ...(localCaller.sessionToken ? { AWS_SESSION_TOKEN: localCaller.sessionToken } : {}),
      }
    : {};
const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

try {
  // DynamoDB: the given endpoint, or dynalite persisting under .hallpass/.
  let dynamodbUrl = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!dynamodbUrl) {
    const dynamo = await startDynalite({ port: port + 10, path: DYNAMODB_DIR });
    stops.push(dynamo.close);
    dynamodbUrl = dynamo.url;
  }
  const dynamodb = new DynamoDBClient({
    region,
    endpoint: dynamodbUrl,
    ...(useLocalCredentials && localCaller
      ? {
          credentials: { accessKeyId: localCaller.accessKeyId, secretAccessKey: localCaller.secretAccessKey },
        }
      : {}),
  });
  const tables = await ensureTables(dynamodb, LOCAL_STAGE);
  stops.push(() => dynamodb.destroy());

  // STS: AWS's (--aws-sts), the given endpoint, or the local STS.
  let stsUrl = flags['aws-sts'] ? undefined : process.env.AWS_ENDPOINT_URL_STS;
  if (!flags['aws-sts'] && !stsUrl) {
    const sts = await startLocalSts({ port: port + 11 });
    stops.push(sts.close);
    stsUrl = sts.url;
  }

  // Issuer: the configured one, or the dev issuer whose key `npm run token` signs with.
  let issuer = process.env.HALLPASS_ISSUER;
  const devIssuer = !issuer;
  if (!issuer) {
    const dev = await startDevIssuer(await loadOrCreateIssuerKey(ISSUER_KEY_FILE), port + 12);
    stops.push(dev.close);
    issuer = dev.url;
  }
  const audience = process.env.HALLPASS_AUDIENCE ?? DEFAULT_AUDIENCE;

  // Notifications: to HALLPASS_WEBHOOK_URL if set, else to a local receiver that prints them here.
  let webhookUrl = process.env.HALLPASS_WEBHOOK_URL;
  if (!webhookUrl) {
    const receiver = await startWebhookReceiver({
      port: port + 13,
      print: (text) => say(`[notify] ${text}`),
    });
    stops.push(receiver.close);
    webhookUrl = receiver.url;
  }
  const notifier = startLocalNotifier({
    audit: { client: dynamodb, tableName: tables.AuditTable as string, retentionDays: 400 },
    channels: { webhookUrl },
    publicUrl: `http://127.0.0.1:${port}/v1`,
    reminderAfterMinutes: Number(process.env.HALLPASS_REVIEW_REMINDER_MINUTES ?? 60),
  });
  stops.push(() => notifier.stop());

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...credentialsEnv,
    AWS_REGION: region,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
    HALLPASS_ISSUER: issuer,
    HALLPASS_AUDIENCE: audience,
    HALLPASS_CATALOG: catalogPath,
    HALLPASS_OFFLINE_LAMBDA_PORT: String(port + 2),
    PORT: String(port),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  if (stsUrl) env.AWS_ENDPOINT_URL_STS = stsUrl;
  else delete env.AWS_ENDPOINT_URL_STS;

  api = spawn('node_modules/.bin/serverless', ['offline', 'start', '--stage', LOCAL_STAGE], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) =>
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) out.write(`[api] ${line}\n`);
    });
  relay(api.stdout, process.stdout);
  relay(api.stderr, process.stderr);
  api.on('exit', (code) => {
    if (!stopping) void fail(`serverless-offline exited (${code}); see the [api] lines above`);
  });

  const base = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const healthy = await fetch(`${base}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) await fail('the API did not come up within 90 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const info: StackInfo = {
    api: base,
    sts: stsUrl ?? 'aws',
    dynamodb: dynamodbUrl,
    issuer,
    audience,
    devIssuer,
  };
  writeFileSync(STACK_FILE, JSON.stringify(info, null, 2));

  say(`ready api=${base} sts=${stsUrl ?? 'aws'} dynamodb=${dynamodbUrl} issuer=${issuer}`);
  say('');
  say(`  hallpass is running locally. Catalog: ${catalogPath}`);
  if (devIssuer) {
    say('  1. Get a token from the dev issuer (in another terminal):');
    say('       TOKEN=$(npm run token -- --sub alice --groups engineers)');
  } else {
    say(`  1. Get an access token from ${issuer} (audience ${audience}) into $TOKEN.`);
  }
  say('     or sign in with the CLI: npx hallpass configure --local && npx hallpass login');
  say('  2. See what you may do, then get credentials:');
  say(`       curl -s ${base}/entitlements -H "Authorization: Bearer $TOKEN"`);
  say(`       curl -s -X POST ${base}/credentials -H "Authorization: Bearer $TOKEN" \\`);
  say(`            -H 'Content-Type: application/json' -d '{"entitlementId":"sandbox-readonly"}'`);
  if (stsUrl) {
    say('  3. Use them: put accessKeyId, secretAccessKey and sessionToken in AWS_ACCESS_KEY_ID,');
    say('     AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, then:');
    say(`       AWS_DEFAULT_REGION=${region} aws sts get-caller-identity --endpoint-url ${stsUrl}`);
  }
  say(
    `  Notifications go to ${webhookUrl}${process.env.HALLPASS_WEBHOOK_URL ? '' : ' and are printed here as [notify] lines'}.`,
  );
  say('  Ctrl-C stops everything. Data persists in .hallpass/ (`npm start -- --fresh` starts empty).');
} catch (error) {
  await fail((error as Error).message);
}
