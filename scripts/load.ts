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
 * The scenarios (who does what, and what each may answer) are in scripts/load/scenarios.ts, the
 * stack in scripts/load/stack.ts.
 *
 * Options: --requests N (1000), --concurrency C (50), --bad-rate R (0.05), --seed S (1),
 * --max-seconds T (300: no new request after T seconds), --json (the report as JSON). Exits 1 on any
 * 5xx, unexpected status or invariant violation.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { RouteName } from '../lib/http/routes.ts';
import type { Call } from '../local/api-gateway.ts';
import { checkInvariants, Ledger } from '../local/invariants.ts';
import { formatReport, type LoadReport } from './load/report.ts';
import { APPROVERS, REQUESTERS, SECURITY, scenarios, type Tracked } from './load/scenarios.ts';
import { type LoadStack, startLoadStack } from './load/stack.ts';

export { formatReport, type LoadReport } from './load/report.ts';

export interface LoadOptions {
  /** Over HTTP, through the API as serverless-offline serves it, instead of the handlers in process. */
  http?: boolean;
  requests: number;
  concurrency: number;
  badRate: number;
  seed: number;
  maxSeconds: number;
}

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

/** Runs the load against a fresh local stack and returns the report (the stack is stopped after). */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const stack = await startLoadStack(options.http ?? false);
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

async function drive(stack: LoadStack, ledger: Ledger, options: LoadOptions): Promise<LoadReport> {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  // People: requesters (engineers), approvers, security (the second group of quorum-two), oncall.
  const tokens = new Map<string, string>();
  for (let i = 0; i < REQUESTERS; i++)
    tokens.set(`engineer-${i}`, await stack.token(`engineer-${i}`, ['engineers']));
  for (const sub of APPROVERS) tokens.set(sub, await stack.token(sub, ['approvers']));
  for (const sub of SECURITY) tokens.set(sub, await stack.token(sub, ['security']));
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
    route: RouteName,
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

  const { createRequest, operations, badRequests } = scenarios({
    random,
    pick,
    take,
    sent: () => sent,
    send,
    tokenOf,
    expired,
    tracked,
    vendWins,
    races,
  });

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

const USAGE =
  'usage: npm run load -- [--requests N] [--concurrency C] [--bad-rate R] [--seed S] [--max-seconds T] [--json] [--http]';

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
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
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
