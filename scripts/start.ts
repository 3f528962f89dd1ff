/**
 * `npm start [-- --fresh] [-- --aws-sts]`: the whole local stack, then the API through
 * serverless-offline. Prints one `ready api=... sts=... dynamodb=... issuer=...` line when the API
 * answers, and a short guide. Ctrl-C (SIGINT/SIGTERM) stops everything it started.
 *
 * PORT sets the API port (default 3000; serverless-offline itself listens on PORT+4, behind a proxy
 * that joins repeated headers as API Gateway does); the local services take PORT+10 (DynamoDB), PORT+11 (STS),
 * PORT+12 (issuer), PORT+13 (the webhook receiver that prints notifications), PORT+14 (KMS, which
 * signs hallpass's own web identity tokens), PORT+15 (the federation endpoint of console sign-in),
 * PORT+16 (IAM, for revocation's deny policies), PORT+17 (the Slack Web API fake, whose messages print
 * as [slack] lines; `npm run slack` acts as a Slack user) and PORT+18 (SSM, holding the local Slack
 * app's signing secret and bot token, kept in the state directory). AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_STS / HALLPASS_ISSUER, when
 * set, are used instead of starting the local service; --aws-sts uses AWS's STS through the default
 * credential chain. HALLPASS_CATALOG names another catalog file. Every other setting, and every
 * default, is the service's own (lib/config.ts).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../lib/adapters/catalog-file.ts';
import { type Config, parseConfig } from '../lib/config.ts';
import { usesWebIdentity } from '../lib/core/catalog.ts';
import type { StackInfo } from '../lib/local-stack-file.ts';
import { startHeaderJoiningProxy } from '../local/api-gateway-headers.ts';
import { tableDefinitions, tableNames } from '../local/dynamodb.ts';
import { localSlackNotifyDeps, startLocalNotifier } from '../local/notifier.ts';
import {
  DEFAULT_AUDIENCE,
  DYNAMODB_DIR,
  ISSUER_KEY_FILE,
  KMS_KEY_FILE,
  LOCAL_STAGE,
  STACK_FILE,
  STATE_DIR,
} from '../local/paths.ts';
import { loadOrCreateSlackSecrets } from '../local/slack/secrets.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { buildWeb } from './build-web.ts';

// Node 20 is fine for the SDK versions pinned here; Lambda runs nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Flags = { fresh: boolean; 'aws-sts': boolean };

const say = (line: string) => process.stdout.write(`${line}\n`);
const stops: Array<() => Promise<void> | void> = [];
let api: ChildProcess | undefined;
let stopping = false;

/**
 * One stack per state directory: `.hallpass/npm-start.lock` holds the running one's PID and API URL.
 * A lock whose process is gone is stale (a killed run) and taken over.
 */
const LOCK_FILE = resolve(STATE_DIR, 'npm-start.lock');
let locked = false;

function running(): { pid: number; api: string } | undefined {
  try {
    const lock = JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as { pid: number; api: string };
    process.kill(lock.pid, 0);
    return lock;
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return { pid: -1, api: 'unknown' };
    return undefined;
  }
}

function takeLock(api: string): void {
  writeFileSync(LOCK_FILE, JSON.stringify({ pid: process.pid, api }));
  locked = true;
}

/**
 * The processes that launched this one, up to npm itself (`npm start` -> sh -> tsx -> this). npm 11
 * exits on SIGTERM without passing it on, which would leave this stack running as an orphan; so
 * when any of them is gone, the stack stops as if it had been sent SIGTERM. POSIX `ps`; without it
 * (or not started by npm), only the direct parent is watched.
 */
function launchers(): number[] {
  const chain = [process.ppid];
  if (process.env.npm_lifecycle_event !== 'start') return chain;
  try {
    for (let pid = process.ppid, depth = 0; pid > 1 && depth < 6; depth++) {
      const line = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
      const match = /^(\d+)\s+(.*)$/.exec(line);
      if (!match) break;
      if (!chain.includes(pid)) chain.push(pid);
      if (/^(\S*\/)?npm(\s|$)/.test(match[2] ?? '')) break;
      pid = Number(match[1]);
    }
  } catch {}
  return chain;
}

function watchLaunchers(): void {
  const chain = launchers();
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  setInterval(() => {
    if (!chain.every(alive)) void stop(143);
  }, 500).unref();
}

/** Ends serverless-offline, then everything else this script started (last started first), and exits. */
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
    if (locked) rmSync(LOCK_FILE, { force: true });
  }
  process.exit(code);
}

function fail(message: string): Promise<never> {
  process.stderr.write(`hallpass: ${message}\n`);
  return stop(1);
}

/**
 * The service's configuration for local mode, parsed by the service's own parser: the local
 * services' addresses and the local stage's tables filled in, every other default its own. A bad
 * value, or a catalog that does not validate, refuses to start, naming the bad field.
 */
function localConfig(port: number): { config: Config; webIdentity: boolean } {
  const config = parseConfig({
    ...process.env,
    HALLPASS_ISSUER: process.env.HALLPASS_ISSUER || `http://127.0.0.1:${port + 12}`,
    HALLPASS_AUDIENCE: process.env.HALLPASS_AUDIENCE || DEFAULT_AUDIENCE,
    HALLPASS_AUDIT_TABLE: tableNames(LOCAL_STAGE).audit,
    HALLPASS_REQUESTS_TABLE: tableNames(LOCAL_STAGE).requests,
  });
  const catalog = loadCatalog(config.catalogPath, { maxSessionSeconds: config.maxSessionSeconds });
  return { config, webIdentity: usesWebIdentity(catalog) };
}

/**
 * DynamoDB (the given endpoint, or dynalite persisting under .hallpass/), STS (AWS's with --aws-sts,
 * the given endpoint, or the local STS), the issuer (the configured one, or the dev issuer whose key
 * `npm run token` signs with) and the webhook receiver (unless HALLPASS_WEBHOOK_URL is set), on
 * PORT+10 to PORT+13; and the local stage's tables.
 */
function startServices(port: number, config: Config, flags: Flags): Promise<LocalStack> {
  const external = (url: string | undefined) => (url ? { url } : undefined);
  return startLocalStack({
    stage: LOCAL_STAGE,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    audience: config.audience,
    dynamodb: external(process.env.AWS_ENDPOINT_URL_DYNAMODB) ?? { port: port + 10, dir: DYNAMODB_DIR },
    sts: flags['aws-sts'] ? false : (external(process.env.AWS_ENDPOINT_URL_STS) ?? { port: port + 11 }),
    issuer: external(process.env.HALLPASS_ISSUER) ?? { port: port + 12, keyFile: ISSUER_KEY_FILE },
    // With the local STS: the local KMS and federation endpoint, and hallpass (this API) as an OIDC
    // provider the local STS trusts.
    kms: flags['aws-sts'] ? false : { port: port + 14, keyFile: KMS_KEY_FILE },
    federation: flags['aws-sts'] ? false : { port: port + 15 },
    // The local IAM (revocation policies of the local STS's roles), PORT+16.
    iam: flags['aws-sts'] ? false : { port: port + 16 },
    hallpassUrl: `http://127.0.0.1:${port}`,
    webhook: external(config.notifications.webhookUrl) ?? {
      port: port + 13,
      print: (text) => say(`[notify] ${text}`),
    },
    // Slack approvals against the Slack fake (PORT+17), its app's secrets in the local SSM (PORT+18)
    // and in the state directory, so that a restart and `npm run slack` sign with the same ones. The
    // local SSM takes only the local STS's callers: with --aws-sts there is no Slack. Slack needs its
    // table too (the functions refuse the one without the other).
    ...(flags['aws-sts'] || !tableDefinitions(LOCAL_STAGE).SlackTable
      ? {}
      : {
          slack: {
            port: port + 17,
            ...loadOrCreateSlackSecrets(),
            print: (line: string) => say(`[slack] ${line}`),
          },
          ssm: { port: port + 18 },
        }),
  });
}

/**
 * serverless-offline on PORT+4, behind a proxy on PORT that joins repeated headers as API Gateway
 * does (local/api-gateway-headers.ts); its output relayed as [api] lines; its exit ends everything.
 */
function startApi(port: number, stack: LocalStack, config: Config): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The functions' credentials. Locally: the local STS's vend identity (a role session, like a
    // Lambda function's). With --aws-sts or another STS: whatever the default credential chain finds.
    ...stack.credentialsEnv,
    AWS_REGION: stack.region,
    AWS_ENDPOINT_URL_DYNAMODB: stack.urls.dynamodb,
    HALLPASS_ISSUER: stack.urls.issuer,
    HALLPASS_AUDIENCE: config.audience,
    HALLPASS_CATALOG: config.catalogPath,
    HALLPASS_OFFLINE_LAMBDA_PORT: String(port + 2),
    HALLPASS_OFFLINE_HTTP_PORT: String(port + 4),
    PORT: String(port),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  if (stack.urls.sts) env.AWS_ENDPOINT_URL_STS = stack.urls.sts;
  else delete env.AWS_ENDPOINT_URL_STS;
  // hallpass as an OIDC provider (the local KMS signs) and the local federation endpoint.
  for (const name of [
    'AWS_ENDPOINT_URL_KMS',
    'AWS_ENDPOINT_URL_IAM',
    'HALLPASS_WEB_IDENTITY_ISSUER',
    'HALLPASS_SIGNING_KEY_ID',
    'HALLPASS_PUBLISHED_KEY_IDS',
    'HALLPASS_FEDERATION_URL',
    // Slack approvals: the Slack fake, the local SSM holding its secrets, the channels and the table.
    'AWS_ENDPOINT_URL_SSM',
    'HALLPASS_SLACK_API_URL',
    'HALLPASS_SLACK_SIGNING_SECRET_PARAMETER',
    'HALLPASS_SLACK_BOT_TOKEN_PARAMETER',
    'HALLPASS_SLACK_DEFAULT_CHANNEL',
    'HALLPASS_SLACK_SECURITY_CHANNEL',
    'HALLPASS_SLACK_TABLE',
  ]) {
    const value = stack.env[name];
    if (value) env[name] = value;
  }

  const child = spawn('node_modules/.bin/serverless', ['offline', 'start', '--stage', LOCAL_STAGE], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) =>
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) out.write(`[api] ${line}\n`);
    });
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.on('exit', (code) => {
    if (!stopping) void fail(`serverless-offline exited (${code}); see the [api] lines above`);
  });
  return child;
}

/** Waits up to 90 s for the API's health route to answer. */
async function waitForApi(base: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const healthy = await fetch(`${base}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (healthy) return;
    if (Date.now() > deadline) await fail('the API did not come up within 90 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The ready line, then how to get a token, credentials, and where notifications go. */
function printGuide(info: StackInfo, stack: LocalStack, config: Config): void {
  const { api: base, issuer, audience } = info;
  say(`ready api=${base} sts=${info.sts} dynamodb=${info.dynamodb} issuer=${issuer}`);
  say('');
  say(`  hallpass is running locally. Catalog: ${config.catalogPath}`);
  if (info.devIssuer) {
    say('  1. Get a token from the dev issuer (in another terminal):');
    say('       TOKEN=$(npm run -s token -- --sub alice --groups engineers)');
  } else {
    say(`  1. Get an access token from ${issuer} (audience ${audience}) into $TOKEN.`);
  }
  say('     or sign in with the CLI: npx hallpass configure --local && npx hallpass login');
  say('  2. See what you may do, then get credentials:');
  say(`       curl -s ${base}/entitlements -H "Authorization: Bearer $TOKEN"`);
  say(`       curl -s -X POST ${base}/credentials -H "Authorization: Bearer $TOKEN" \\`);
  say(`            -H 'Content-Type: application/json' -d '{"entitlementId":"sandbox-readonly"}'`);
  if (stack.urls.sts) {
    say('  3. Use them: put accessKeyId, secretAccessKey and sessionToken in AWS_ACCESS_KEY_ID,');
    say('     AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, then:');
    say(
      `       AWS_DEFAULT_REGION=${stack.region} aws sts get-caller-identity --endpoint-url ${stack.urls.sts}`,
    );
  }
  if (stack.urls.federation) {
    say('  4. A working day in the AWS console (web-identity issuance, 8 h): open the "url" this answers');
    say(`       curl -s -X POST ${base}/console -H "Authorization: Bearer $TOKEN" \\`);
    say(
      `            -H 'Content-Type: application/json' -d '{"entitlementId":"sandbox-poweruser","durationSeconds":28800}'`,
    );
  }
  say(`  The web console: http://127.0.0.1:${new URL(base).port}/ (request, approve, audit in a browser)`);
  say(
    `  Notifications go to ${stack.urls.webhook}${stack.local.webhook ? ' and are printed here as [notify] lines' : ''}.`,
  );
  if (stack.local.slack) {
    say('  Slack approvals: messages to the Slack fake print here as [slack] lines. Act as a Slack user:');
    say('       npm run -s slack -- command "link" --user U0ALICE       (then: npx hallpass link <code>)');
    say(
      '       npm run -s slack -- approve <requestId> --user U0BOB     (or: deny <requestId> --reason "...")',
    );
  }
  say('  Ctrl-C stops everything. Data persists in .hallpass/ (`npm start -- --fresh` starts empty).');
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: { fresh: { type: 'boolean', default: false }, 'aws-sts': { type: 'boolean', default: false } },
    strict: true,
  });
  // Ctrl-C, an IDE's stop button (SIGTERM) and a closed terminal (SIGHUP) all stop everything.
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  process.on('SIGHUP', () => void stop(129));
  watchLaunchers();

  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535 - 18)
    await fail(`PORT must be a TCP port, got '${process.env.PORT}'`);

  let config: Config;
  let webIdentity: boolean;
  try {
    ({ config, webIdentity } = localConfig(port));
  } catch (error) {
    return fail((error as Error).message);
  }

  const other = running();
  if (other) {
    process.stderr.write(
      `hallpass: a stack is already running in this checkout (PID ${other.pid}, ${other.api}): stop it first (Ctrl-C in its terminal, or kill ${other.pid}), or give this one its own HALLPASS_STATE_DIR and PORT\n`,
    );
    process.exit(1);
  }
  if (flags.fresh) rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });
  takeLock(`http://127.0.0.1:${port}/v1`);

  try {
    const stack = await startServices(port, config, flags);
    stops.push(() => stack.stop());
    // Without the local KMS (--aws-sts), a web-identity entitlement needs a key and an issuer STS can
    // reach: refuse now rather than fail every vend.
    if (webIdentity && !stack.env.HALLPASS_SIGNING_KEY_ID && !process.env.HALLPASS_SIGNING_KEY_ID)
      await fail(
        `${config.catalogPath} has web-identity entitlements: they need the local STS and KMS, or HALLPASS_SIGNING_KEY_ID and HALLPASS_WEB_IDENTITY_ISSUER (see README, "Issuance modes")`,
      );
    const notifier = startLocalNotifier({
      audit: {
        client: stack.dynamodb,
        tableName: stack.tables.audit,
        retentionDays: config.auditRetentionDays,
      },
      channels: { webhookUrl: stack.urls.webhook },
      publicUrl: `http://127.0.0.1:${port}/v1`,
      // Slack's messages with buttons, to the Slack fake (printed as [slack] lines).
      slack: localSlackNotifyDeps(stack, config, `http://127.0.0.1:${port}/v1`),
      reminderAfterMinutes: config.notifications.reviewReminderMinutes,
    });
    stops.push(() => notifier.stop());

    // The web console (its client: HALLPASS_WEB_CLIENT_ID, else the dev issuer's hallpass-console).
    await buildWeb();
    const proxy = await startHeaderJoiningProxy({ port, target: `http://127.0.0.1:${port + 4}` });
    stops.push(() => proxy.close());
    api = startApi(port, stack, config);
    const base = `http://127.0.0.1:${port}/v1`;
    await waitForApi(base);

    const info: StackInfo = {
      api: base,
      sts: stack.urls.sts ?? 'aws',
      dynamodb: stack.urls.dynamodb,
      issuer: stack.urls.issuer,
      audience: config.audience,
      devIssuer: stack.local.issuer !== undefined,
    };
    writeFileSync(STACK_FILE, JSON.stringify(info, null, 2));
    printGuide(info, stack, config);
  } catch (error) {
    await fail((error as Error).message);
  }
}

await main();
