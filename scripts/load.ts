/**
 * Load: drives N mixed requests at C concurrent callers through hallpass's route handlers, in
 * process, against a local stack this script starts on 127.0.0.1 (dynalite, the local STS, a dev
 * OIDC issuer; ports chosen by the OS, state in memory and a temporary directory): requests,
 * approvals (quorums of 1 and 2, raced by several approvers), vends (direct, and raced on the same
 * approved request), denials, cancellations, listings with pagination, reads, and a share of bad
 * requests. Then it checks the answers (no 5xx, every status one that API.md allows for that call)
 * and SECURITY.md's invariants over the tables, what the local STS issued and what callers got.
 *
 *   tsx scripts/load.ts --requests 1000 --concurrency 50 [--http]
 *
 * With --http the requests go over HTTP through the API as serverless-offline serves it (the
 * deployed handlers behind an HTTP API emulation), against the same local services.
 *
 * Options: --requests N (1000), --concurrency C (50), --bad-rate R (0.05), --seed S (1),
 * --max-seconds T (300: no new request after T seconds), --json (the report as JSON). Exits 1 on any
 * 5xx, unexpected status or invariant violation.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import { ensureTables, startDynalite } from '../local/dynamodb.ts';
import { loadOrCreateIssuerKey, signDevToken } from '../local/issuer/keys.ts';
import { startDevIssuer } from '../local/issuer/server.ts';
import { startLocalSts } from '../local/sts/server.ts';
import { apiEvent, type Call, lambdaContext } from '../test/support/api.ts';
import { checkInvariants, type InvariantReport, Ledger } from '../test/support/invariants.ts';

export interface LoadOptions {
  /** Over HTTP, through the API as serverless-offline serves it, instead of the handlers in process. */
  http?: boolean;
  requests: number;
  concurrency: number;
  badRate: number;
  seed: number;
  maxSeconds: number;
}

export interface LoadReport {
  requests: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  byStatus: Record<string, number>;
  byOperation: Record<string, Record<string, number>>;
  fiveXx: number;
  unexpected: string[];
  races: { vendRaces: number; approvalRaces: number; overConsumed: string[] };
  invariants: InvariantReport;
  ok: boolean;
}

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }>;
const ROUTES = [
  'credentials',
  'entitlements',
  'requests-create',
  'requests-list',
  'requests-get',
  'requests-approve',
  'requests-deny',
  'requests-cancel',
] as const;
type Route = (typeof ROUTES)[number];

/** A small seeded PRNG (mulberry32), so a run can be replayed with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Stack {
  /** One call, as the route's handler in process or over HTTP through serverless-offline. */
  dispatch(route: Route, call: Call): Promise<{ statusCode: number; body?: string }>;
  issuedAccessKeyIds(): string[];
  client: DynamoDBClient;
  tables: { audit: string; requests: string };
  token(sub: string, groups: string[], expiresIn?: number): Promise<string>;
  close(): Promise<void>;
}

/** The local stack on loopback, and the handlers imported against it (a cold start). */
async function startStack(http: boolean): Promise<Stack> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-load-'));
  const dynamo = await startDynalite({ port: 0 });
  const sts = await startLocalSts({ port: 0 });
  const key = await loadOrCreateIssuerKey(join(dir, 'issuer-key.json'));
  const issuer = await startDevIssuer(key, 0);
  const caller = (
    parse(readFileSync('local/sts-roles.yaml', 'utf8')) as {
      callers: Array<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }>;
    }
  ).callers[0];
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.url,
    credentials: { accessKeyId: 'load', secretAccessKey: 'load' },
  });
  const stage = `load${randomBytes(3).toString('hex')}`;
  const names = await ensureTables(client, stage);
  const tables = { audit: names.AuditTable as string, requests: names.RequestsTable as string };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ACCESS_KEY_ID: caller?.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller?.secretAccessKey,
    AWS_SESSION_TOKEN: caller?.sessionToken,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    HALLPASS_ISSUER: issuer.url,
    HALLPASS_AUDIENCE: 'hallpass',
    HALLPASS_CATALOG: 'test/fixtures/catalog.yaml',
    HALLPASS_AUDIT_TABLE: tables.audit,
    HALLPASS_REQUESTS_TABLE: tables.requests,
  });
  delete process.env.HALLPASS_JWKS_URI;
  const api = http ? await startApi(stage) : undefined;
  const handlers = {} as Record<Route, Handler>;
  if (!api) {
    for (const route of ROUTES) {
      handlers[route] = (await import(`../functions/${route}.ts`)).handler as Handler;
    }
  }
  return {
    dispatch: (route, call) => (api ? api.send(call) : handlers[route](apiEvent(call), lambdaContext())),
    issuedAccessKeyIds: () => sts.issuedAccessKeyIds(),
    client,
    tables,
    token: (sub, groups, expiresIn = 3600) =>
      signDevToken(key, issuer.url, { sub, groups, audience: 'hallpass', expiresIn, name: `${sub} (load)` }),
    close: async () => {
      await api?.close();
      client.destroy();
      await Promise.all([dynamo.close(), sts.close(), issuer.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The API over HTTP: serverless-offline, as `npm start` runs it, with this script's environment
 * (its dynalite, local STS, issuer and tables, whose stage it shares).
 */
async function startApi(
  stage: string,
): Promise<{ send(call: Call): Promise<{ statusCode: number; body: string }>; close(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('node_modules/.bin/serverless', ['offline', 'start', '--stage', stage], {
    env: {
      ...process.env,
      PORT: String(port),
      HALLPASS_OFFLINE_LAMBDA_PORT: String(await freePort()),
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
    detached: true,
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serverless-offline exited (${child.exitCode})`);
    const up = await fetch(`${base}/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error('serverless-offline did not answer within 90 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    async send(call) {
      const method = call.method ?? (call.body !== undefined || call.rawBody !== undefined ? 'POST' : 'GET');
      const headers: Record<string, string> = { ...(call.headers ?? {}) };
      if (call.token) headers.authorization = `Bearer ${call.token}`;
      if (call.body !== undefined) headers['content-type'] ??= 'application/json';
      const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
      const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
      const response = await fetch(`${base}${call.path}${query}`, { method, headers, body });
      return { statusCode: response.status, body: await response.text() };
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-(child.pid as number), 'SIGTERM');
      } catch {}
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    },
  };
}

interface Tracked {
  id: string;
  entitlementId: 'prod-admin' | 'quorum-two';
  requester: number;
  maxUses: number;
  approvers: Set<string>;
  state: 'pending' | 'approved' | 'closed';
}

/** Runs the load against a fresh local stack and returns the report (the stack is stopped after). */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const stack = await startStack(options.http ?? false);
  const ledger = new Ledger();
  const original = { log: console.log, warn: console.warn, error: console.error };
  const capture = (...args: unknown[]) => void ledger.logs.push(args.map(String).join(' '));
  console.log = capture;
  console.warn = capture;
  console.error = capture;
  try {
    return await drive(stack, ledger, options);
  } finally {
    Object.assign(console, original);
    await stack.close();
  }
}

async function drive(stack: Stack, ledger: Ledger, options: LoadOptions): Promise<LoadReport> {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  // People: requesters (engineers), approvers, security (the second group of quorum-two), oncall.
  const REQUESTERS = 12;
  const approverSubs = Array.from({ length: 6 }, (_, i) => `approver-${i}`);
  const securitySubs = Array.from({ length: 3 }, (_, i) => `security-${i}`);
  const tokens = new Map<string, string>();
  for (let i = 0; i < REQUESTERS; i++)
    tokens.set(`engineer-${i}`, await stack.token(`engineer-${i}`, ['engineers']));
  for (const sub of approverSubs) tokens.set(sub, await stack.token(sub, ['approvers']));
  for (const sub of securitySubs) tokens.set(sub, await stack.token(sub, ['security']));
  const expired = await stack.token('engineer-0', ['engineers'], -300);
  const tokenOf = (sub: string) => tokens.get(sub) as string;

  const tracked: Tracked[] = [];
  const vendWins = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  const byOperation: Record<string, Record<string, number>> = {};
  const unexpected: string[] = [];
  const races = { vendRaces: 0, approvalRaces: 0 };
  let sent = 0;
  const started = Date.now();
  const deadline = started + options.maxSeconds * 1000;

  const take = (n: number): number => {
    const granted = Math.max(0, Math.min(n, options.requests - sent));
    sent += granted;
    return granted;
  };

  async function send(
    operation: string,
    route: Route,
    call: Call,
    allowed: number[],
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const result = await stack.dispatch(route, call);
    const raw = result.body ?? '';
    const status = result.statusCode;
    ledger.observe(status, raw);
    if (call.token) ledger.token(call.token);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    byOperation[operation] ??= {};
    const counts = byOperation[operation] as Record<string, number>;
    counts[status] = (counts[status] ?? 0) + 1;
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      unexpected.push(`${operation}: ${status} with a body that is not JSON`);
    }
    if (!allowed.includes(status) && unexpected.length < 50) {
      unexpected.push(`${operation}: ${status} (allowed ${allowed.join('/')}) ${raw.slice(0, 200)}`);
    }
    return { status, body };
  }

  const requester = () => Math.floor(random() * REQUESTERS);
  const pendingOne = () => tracked.filter((t) => t.state === 'pending');
  const approvedOne = () => tracked.filter((t) => t.state === 'approved');

  const createRequest = async () => {
    if (!take(1)) return;
    const who = requester();
    const entitlementId = random() < 0.65 ? 'prod-admin' : 'quorum-two';
    const answer = await send(
      'create request',
      'requests-create',
      {
        path: '/v1/requests',
        token: tokenOf(`engineer-${who}`),
        body: { entitlementId, justification: `Load test change ${sent}`, ticket: `CHG-${sent}` },
      },
      [201],
    );
    if (answer.status === 201) {
      tracked.push({
        id: String(answer.body.id),
        entitlementId,
        requester: who,
        maxUses: entitlementId === 'prod-admin' ? 1 : 2,
        approvers: new Set(),
        state: 'pending',
      });
    }
  };

  const operations: Array<[number, () => Promise<void>]> = [
    // Direct vend.
    [
      14,
      async () => {
        if (!take(1)) return;
        const sub = `engineer-${requester()}`;
        await send(
          'vend direct',
          'credentials',
          { path: '/v1/credentials', token: tokenOf(sub), body: { entitlementId: 'sandbox-readonly' } },
          [200],
        );
      },
    ],
    // A new request (prod-admin: quorum 1, one use; quorum-two: two approvers, two uses).
    [18, () => createRequest()],
    // Approvals, sometimes raced: several eligible approvers at once on the same request.
    [
      18,
      async () => {
        const candidates = pendingOne();
        if (!candidates.length) return;
        const request = pick(candidates);
        const pool =
          request.entitlementId === 'quorum-two' ? [...approverSubs, ...securitySubs] : approverSubs;
        const racers = random() < 0.3 ? 2 + Math.floor(random() * 3) : 1;
        const count = take(racers);
        if (!count) return;
        if (count > 1) races.approvalRaces += 1;
        const chosen = [...pool].sort(() => random() - 0.5).slice(0, count);
        const answers = await Promise.all(
          chosen.map((sub) =>
            send(
              count > 1 ? 'approve (raced)' : 'approve',
              'requests-approve',
              {
                method: 'POST',
                path: `/v1/requests/${request.id}/approve`,
                pathParameters: { id: request.id },
                token: tokenOf(sub),
                body: { comment: 'load' },
              },
              // 409: the quorum was reached by others, or this approver already approved.
              [200, 409],
            ),
          ),
        );
        for (const [i, answer] of answers.entries()) {
          if (answer.status === 200) request.approvers.add(chosen[i] as string);
          if (answer.body.status === 'approved') request.state = 'approved';
        }
      },
    ],
    // Vends on approved requests, sometimes raced by several calls of the requester.
    [
      16,
      async () => {
        const candidates = approvedOne();
        if (!candidates.length) return;
        const request = pick(candidates);
        const racers = random() < 0.4 ? 2 + Math.floor(random() * 4) : 1;
        const count = take(racers);
        if (!count) return;
        if (count > 1) races.vendRaces += 1;
        const answers = await Promise.all(
          Array.from({ length: count }, () =>
            send(
              count > 1 ? 'vend approved (raced)' : 'vend approved',
              'credentials',
              {
                path: '/v1/credentials',
                token: tokenOf(`engineer-${request.requester}`),
                body: { entitlementId: request.entitlementId, requestId: request.id },
              },
              [200, 409],
            ),
          ),
        );
        const wins = answers.filter((a) => a.status === 200).length;
        vendWins.set(request.id, (vendWins.get(request.id) ?? 0) + wins);
        if ((vendWins.get(request.id) ?? 0) >= request.maxUses || answers.some((a) => a.status === 409))
          request.state = 'closed';
      },
    ],
    // Listing, following the cursor once.
    [
      10,
      async () => {
        if (!take(1)) return;
        const approver = random() < 0.4;
        const sub = approver ? pick(approverSubs) : `engineer-${requester()}`;
        const query: Record<string, string> = {
          view: approver ? 'approvable' : 'mine',
          limit: String(1 + Math.floor(random() * 5)),
        };
        if (random() < 0.3) query.status = pick(['pending', 'approved', 'consumed']);
        const first = await send(
          'list',
          'requests-list',
          { path: '/v1/requests', token: tokenOf(sub), query },
          [200],
        );
        const cursor = first.body.nextCursor;
        if (typeof cursor === 'string' && take(1)) {
          await send(
            'list (next page)',
            'requests-list',
            { path: '/v1/requests', token: tokenOf(sub), query: { ...query, cursor } },
            [200],
          );
        }
      },
    ],
    // Reads.
    [
      8,
      async () => {
        if (!tracked.length || !take(1)) return;
        const request = pick(tracked);
        await send(
          'get request',
          'requests-get',
          {
            path: `/v1/requests/${request.id}`,
            pathParameters: { id: request.id },
            token: tokenOf(`engineer-${request.requester}`),
          },
          [200],
        );
      },
    ],
    [
      4,
      async () => {
        if (!take(1)) return;
        await send(
          'entitlements',
          'entitlements',
          { path: '/v1/entitlements', token: tokenOf(pick(approverSubs)) },
          [200],
        );
      },
    ],
    // Denials and cancellations of pending requests.
    [
      4,
      async () => {
        const candidates = pendingOne();
        if (!candidates.length || !take(1)) return;
        const request = pick(candidates);
        const answer = await send(
          'deny',
          'requests-deny',
          {
            method: 'POST',
            path: `/v1/requests/${request.id}/deny`,
            pathParameters: { id: request.id },
            token: tokenOf(pick(approverSubs)),
            body: { reason: 'not now' },
          },
          [200, 409],
        );
        if (answer.status === 200) request.state = 'closed';
      },
    ],
    [
      3,
      async () => {
        const candidates = [...pendingOne(), ...approvedOne()];
        if (!candidates.length || !take(1)) return;
        const request = pick(candidates);
        const answer = await send(
          'cancel',
          'requests-cancel',
          {
            method: 'POST',
            path: `/v1/requests/${request.id}/cancel`,
            pathParameters: { id: request.id },
            token: tokenOf(`engineer-${request.requester}`),
          },
          [200, 409],
        );
        if (answer.status === 200) request.state = 'closed';
      },
    ],
  ];

  const badRequests: Array<() => [string, Route, Call, number[]]> = [
    () => [
      'bad: no token',
      'credentials',
      { path: '/v1/credentials', body: { entitlementId: 'sandbox-readonly' } },
      [401],
    ],
    () => ['bad: expired token', 'entitlements', { path: '/v1/entitlements', token: expired }, [401]],
    () => [
      'bad: roleArn in the body',
      'credentials',
      {
        path: '/v1/credentials',
        token: tokenOf('engineer-1'),
        body: { entitlementId: 'sandbox-readonly', roleArn: 'arn:aws:iam::222222222222:role/x' },
      },
      [400],
    ],
    () => [
      'bad: text/plain',
      'requests-create',
      {
        path: '/v1/requests',
        token: tokenOf('engineer-2'),
        rawBody: 'please',
        headers: { 'content-type': 'text/plain' },
      },
      [415],
    ],
    () => [
      'bad: malformed JSON',
      'credentials',
      {
        path: '/v1/credentials',
        token: tokenOf('engineer-3'),
        rawBody: '{"entitlementId":',
        headers: { 'content-type': 'application/json' },
      },
      [400],
    ],
    () => [
      'bad: 43201 s',
      'credentials',
      {
        path: '/v1/credentials',
        token: tokenOf('engineer-4'),
        body: { entitlementId: 'sandbox-readonly', durationSeconds: 43201 },
      },
      [400],
    ],
    () => [
      'bad: unknown entitlement',
      'credentials',
      { path: '/v1/credentials', token: tokenOf('engineer-5'), body: { entitlementId: 'root' } },
      [404],
    ],
    () => [
      'bad: no approval',
      'credentials',
      { path: '/v1/credentials', token: tokenOf('engineer-6'), body: { entitlementId: 'prod-admin' } },
      [403],
    ],
    () => [
      'bad: 20 KiB body',
      'requests-create',
      {
        path: '/v1/requests',
        token: tokenOf('engineer-7'),
        body: { entitlementId: 'prod-admin', justification: 'x'.repeat(20_000) },
      },
      [413],
    ],
    () => [
      'bad: forged cursor',
      'requests-list',
      { path: '/v1/requests', token: tokenOf('engineer-8'), query: { cursor: 'eyJ4IjoxfQ.AAAA' } },
      [400],
    ],
    () => {
      const request = tracked.length ? pick(tracked) : undefined;
      const id = request?.id ?? 'rnothere';
      return [
        'bad: approve as a requester',
        'requests-approve',
        {
          method: 'POST',
          path: `/v1/requests/${id}/approve`,
          pathParameters: { id },
          token: tokenOf('engineer-9'),
        },
        [403, 404],
      ];
    },
    () => {
      const request = tracked.length ? pick(tracked) : undefined;
      const id = request?.id ?? 'rnothere';
      const other = request ? (request.requester + 1) % REQUESTERS : 0;
      return [
        "bad: vend someone else's request",
        'credentials',
        {
          path: '/v1/credentials',
          token: tokenOf(`engineer-${other}`),
          body: { entitlementId: request?.entitlementId ?? 'prod-admin', requestId: id },
        },
        [404],
      ];
    },
  ];

  const weights = operations.reduce((sum, [w]) => sum + w, 0);
  const chooseOperation = (): (() => Promise<void>) => {
    let roll = random() * weights;
    for (const [weight, operation] of operations) {
      roll -= weight;
      if (roll < 0) return operation;
    }
    return createRequest;
  };
  async function worker(): Promise<void> {
    while (sent < options.requests && Date.now() < deadline) {
      const before = sent;
      if (random() < options.badRate) {
        if (!take(1)) return;
        const [operation, route, call, allowed] = pick(badRequests)();
        await send(operation, route, call, allowed);
        continue;
      }
      await chooseOperation()();
      // An operation with nothing to act on yet (no pending request) falls back to a new request.
      if (sent === before) await createRequest();
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  const seconds = (Date.now() - started) / 1000;

  const report = await checkInvariants({
    client: stack.client,
    auditTable: stack.tables.audit,
    requestsTable: stack.tables.requests,
    issued: stack.issuedAccessKeyIds(),
    ledger,
  });
  const overConsumed = tracked
    .filter((t) => (vendWins.get(t.id) ?? 0) > t.maxUses)
    .map((t) => `${t.id}: ${vendWins.get(t.id)} vends for ${t.maxUses} uses`);
  const fiveXx = Object.entries(byStatus)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, n]) => sum + n, 0);
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  return {
    requests: total,
    concurrency: options.concurrency,
    seconds,
    perSecond: Math.round(total / seconds),
    byStatus,
    byOperation,
    fiveXx,
    unexpected,
    races: { ...races, overConsumed },
    invariants: { violations: report.violations, counts: report.counts },
    ok:
      fiveXx === 0 && unexpected.length === 0 && report.violations.length === 0 && overConsumed.length === 0,
  };
}

export function formatReport(report: LoadReport): string {
  const lines = [
    `load: ${report.requests} requests at concurrency ${report.concurrency} in ${report.seconds.toFixed(1)} s (${report.perSecond}/s)`,
    `  by status: ${Object.entries(report.byStatus)
      .map(([s, n]) => `${s}=${n}`)
      .join(' ')}`,
    ...Object.entries(report.byOperation)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([op, counts]) =>
          `  ${op.padEnd(32)} ${Object.entries(counts)
            .map(([s, n]) => `${s}=${n}`)
            .join(' ')}`,
      ),
    `  races: ${report.races.vendRaces} raced vends, ${report.races.approvalRaces} raced approvals, ${report.races.overConsumed.length} over-consumed`,
    `  issued ${report.invariants.counts.issued} keys, returned ${report.invariants.counts.returned}, ${report.invariants.counts.sessions} audit records, ${report.invariants.counts.requests} requests, ${report.invariants.counts.consumptions} uses consumed`,
    `  5xx: ${report.fiveXx}; unexpected statuses: ${report.unexpected.length}; invariant violations: ${report.invariants.violations.length}`,
    ...report.unexpected.map((u) => `  unexpected: ${u}`),
    ...report.invariants.violations.map((v) => `  violation: ${v}`),
    ...report.races.overConsumed.map((v) => `  over-consumed: ${v}`),
    report.ok ? 'load: OK' : 'load: FAILED',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '50' },
      'bad-rate': { type: 'string', default: '0.05' },
      seed: { type: 'string', default: '1' },
      'max-seconds': { type: 'string', default: '300' },
      json: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
    },
  });
  const numbers = {
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
    badRate: Number(values['bad-rate']),
    seed: Number(values.seed),
    maxSeconds: Number(values['max-seconds']),
  };
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  }
  const options: LoadOptions = { ...numbers, http: values.http };
  const report = await runLoad(options);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  process.exitCode = report.ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
