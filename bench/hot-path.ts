/**
 * Hot path and throughput, in this process: the deployed handler module (functions/credentials.ts,
 * its middy stack, auth with a cached JWKS, validation, the use case, the SDK clients of lib/deps.ts)
 * driven with API Gateway v2 events, interleaved with the baseline (the same AssumeRole and audit put
 * made directly with the SDK), against the same local services on loopback.
 */
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { apiEvent, lambdaContext } from '../local/api-gateway.ts';
import { auditItem, rawInputs } from './baseline.ts';
import { type ConsoleSink, sinkConsole } from './console-sink.ts';
import { countRequests, difference, snapshot, type Tally } from './counters.ts';
import { type RawInput, rawClients, rawVend } from './raw-function.ts';
import { ENTITLEMENT, type Stack } from './stack.ts';
import { mean, median, percentile, round } from './stats.ts';

/** Distinct tokens the throughput callers rotate through (signing inside the timed loop would count). */
const TOKEN_POOL = 64;

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<{ statusCode: number; body?: string }>;

export interface HotPathOptions {
  warmup: number;
  iterations: number;
}

export interface ThroughputOptions {
  /** Per side and level, split into `rounds` alternating slices. */
  seconds: number;
  rounds: number;
  concurrency: number[];
}

export interface HotPathFigures {
  iterations: number;
  vendP50Ms: number | null;
  vendP99Ms: number | null;
  rawP50Ms: number | null;
  rawP99Ms: number | null;
  hotPathRatioP50: number | null;
  hotPathRatioP99: number | null;
  /** The same vend with one token used again and again (a CLI's case): verified once, then cached. */
  vendReusedP50Ms: number | null;
  vendReusedP99Ms: number | null;
  hotPathReusedRatioP50: number | null;
  hotPathReusedRatioP99: number | null;
  overheadP50Ms: number | null;
  vendMeanMs: number | null;
  rawMeanMs: number | null;
  awsCallsPerVend: number;
  callsPerVend: { sts: number; dynamodb: number; issuer: number; other: number };
  newConnectionsPerVend: number;
  logLinesPerVend: number;
  /** EMF lines (metrics) per vend, written to stdout apart from the log lines. */
  metricLinesPerVend: number;
}

export interface ThroughputFigures {
  vendThroughput: Record<string, number | null>;
  rawThroughput: Record<string, number | null>;
  throughputRatio: Record<string, number | null>;
}

/** What the in-process bench needs, ready to measure: the handler warm, the baseline's inputs made. */
export interface HotBench {
  /** One vend with `token` (by default the warm-up's token); its response body. */
  vend(token?: string): Promise<string>;
  /** The handler on a ready event and context (what the hot path times); the response body. */
  invoke(event: APIGatewayProxyEventV2, context: Context): Promise<string>;
  /** A newly signed token: the hot path gives each vend its own, as no cache could then help. */
  freshToken(): Promise<string>;
  /** Distinct tokens that throughput callers take in turn. */
  tokenPool: string[];
  raw(input?: RawInput): Promise<string>;
  rawInput(): RawInput;
  /** An event and its token, for a cold-start process. */
  event(token?: string): APIGatewayProxyEventV2;
  sink: ConsoleSink;
  close(): void;
}

/** Where the services are and how to reach them: a Stack, or its description in another process. */
export type Target = Pick<Stack, 'urls' | 'tables' | 'env' | 'token'>;

const FUNCTION_NAME = 'hallpass-bench-credentials';

export async function prepareHotBench(stack: Target, warmup: number): Promise<HotBench> {
  // The handler reads its configuration and builds its clients at import: set the environment first.
  Object.assign(process.env, stack.env);
  countRequests(stack.urls);
  const sink = sinkConsole();
  try {
    const { handler } = (await import('../functions/credentials.ts')) as unknown as { handler: Handler };
    const fixed = await stack.token();
    const event = (token = fixed) =>
      apiEvent({ method: 'POST', path: '/v1/credentials', token, body: { entitlementId: ENTITLEMENT } });

    const invoke = async (e: APIGatewayProxyEventV2, context: Context): Promise<string> => {
      const result = await handler(e, context);
      if (result.statusCode !== 200) {
        throw new Error(`the vend answered ${result.statusCode}: ${result.body ?? ''}`);
      }
      return result.body ?? '';
    };
    const vend = (token?: string) => invoke(event(token), lambdaContext(FUNCTION_NAME));

    const first = JSON.parse(await vend()) as { credentials: { accessKeyId: string } };
    const clients = rawClients();
    const item = await auditItem(clients.dynamodb, stack.tables.audit, first.credentials.accessKeyId);
    const rawInput = rawInputs(stack.tables.audit, item);
    const raw = (input?: RawInput) => rawVend(clients, input ?? rawInput());

    for (let i = 0; i < warmup; i++) {
      await vend();
      await raw();
    }
    const tokenPool: string[] = [];
    for (let i = 0; i < TOKEN_POOL; i++) tokenPool.push(await stack.token());
    return {
      vend,
      invoke,
      freshToken: () => stack.token(),
      tokenPool,
      raw,
      rawInput,
      event,
      sink,
      close: () => {
        clients.sts.destroy();
        clients.dynamodb.destroy();
        sink.restore();
      },
    };
  } catch (error) {
    const logged = sink.recentErrors();
    sink.restore();
    if (logged.length) console.error(logged.join('\n'));
    throw error;
  }
}

/**
 * Vends with a new token, vends with a reused token and baseline calls, one after the other, the
 * order rotating each iteration.
 */
export async function measureHotPath(bench: HotBench, options: HotPathOptions): Promise<HotPathFigures> {
  const vendMs: number[] = [];
  const reusedMs: number[] = [];
  const rawMs: number[] = [];
  let counted: Tally = {};
  let logLines = 0;
  let metricLines = 0;

  // Every new token is signed before the loop (about 1 ms of RSA each, through WebCrypto): signed
  // just before its vend, the signing's garbage and thread-pool work fell into the vend's time. Each
  // is used once: every vend verifies a token it has never seen.
  const fresh: string[] = [];
  for (let i = 0; i < options.iterations; i++) fresh.push(await bench.freshToken());
  const timedVend = async () => {
    // The event and context are API Gateway's and Lambda's work, made before the clock starts too.
    const event = bench.event(fresh.pop());
    await timed(event, vendMs);
  };
  // The warm-up's token, verified long before: what every vend of a CLI session after its first is.
  const timedReused = () => timed(bench.event(), reusedMs);
  const timed = async (event: APIGatewayProxyEventV2, into: number[]) => {
    const context = lambdaContext(FUNCTION_NAME);
    const before = snapshot();
    const lines = bench.sink.lines();
    const emfLines = bench.sink.stdoutLines();
    const started = performance.now();
    await bench.invoke(event, context);
    into.push(performance.now() - started);
    logLines += bench.sink.lines() - lines;
    metricLines += bench.sink.stdoutLines() - emfLines;
    const delta = difference(snapshot(), before);
    for (const [key, value] of Object.entries(delta)) counted[key] = (counted[key] ?? 0) + value;
  };
  const timedRaw = async () => {
    // The baseline's inputs are made before its clock starts: hallpass makes them inside its own.
    const input = bench.rawInput();
    const started = performance.now();
    await bench.raw(input);
    rawMs.push(performance.now() - started);
  };

  counted = {};
  const steps = [timedVend, timedReused, timedRaw];
  for (let i = 0; i < options.iterations; i++) {
    for (let j = 0; j < steps.length; j++) await (steps[(i + j) % steps.length] as () => Promise<void>)();
  }

  // Counts cover both kinds of vend.
  const n = options.iterations * 2;
  const per = (key: string) => round((counted[key] ?? 0) / n, 3) ?? 0;
  const connections = Object.entries(counted)
    .filter(([key]) => key.endsWith('.connections'))
    .reduce((sum, [, value]) => sum + value, 0);
  const vendP50 = percentile(vendMs, 50);
  const vendP99 = percentile(vendMs, 99);
  const rawP50 = percentile(rawMs, 50);
  const rawP99 = percentile(rawMs, 99);
  const reusedP50 = percentile(reusedMs, 50);
  const reusedP99 = percentile(reusedMs, 99);
  const callsPerVend = {
    sts: per('sts.requests'),
    dynamodb: per('dynamodb.requests'),
    issuer: per('issuer.requests'),
    other: per('other.requests'),
  };
  return {
    iterations: options.iterations,
    vendP50Ms: round(vendP50, 3),
    vendP99Ms: round(vendP99, 3),
    rawP50Ms: round(rawP50, 3),
    rawP99Ms: round(rawP99, 3),
    hotPathRatioP50: round(vendP50 / rawP50, 3),
    hotPathRatioP99: round(vendP99 / rawP99, 3),
    vendReusedP50Ms: round(reusedP50, 3),
    vendReusedP99Ms: round(reusedP99, 3),
    hotPathReusedRatioP50: round(reusedP50 / rawP50, 3),
    hotPathReusedRatioP99: round(reusedP99 / rawP99, 3),
    overheadP50Ms: round(vendP50 - rawP50, 3),
    vendMeanMs: round(mean(vendMs), 3),
    rawMeanMs: round(mean(rawMs), 3),
    awsCallsPerVend: round(callsPerVend.sts + callsPerVend.dynamodb, 3) ?? 0,
    callsPerVend,
    newConnectionsPerVend: round(connections / n, 3) ?? 0,
    logLinesPerVend: round(logLines / n, 3) ?? 0,
    metricLinesPerVend: round(metricLines / n, 3) ?? 0,
  };
}

/** Operations per second with `concurrency` callers looping for `seconds`. */
async function throughput(op: () => Promise<unknown>, concurrency: number, seconds: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - started) / 1000);
}

/**
 * Vends per second at each concurrency, and the baseline's beside it: per level, `rounds` slices of
 * each, alternating (vend, raw, raw, vend, ...), and the median slice of each side, so that a change
 * in the machine's load during a level shifts both sides alike.
 */
export async function measureThroughput(
  bench: HotBench,
  options: ThroughputOptions,
): Promise<ThroughputFigures> {
  const figures: ThroughputFigures = { vendThroughput: {}, rawThroughput: {}, throughputRatio: {} };
  const slice = options.seconds / options.rounds;
  let next = 0;
  const vendOnce = () => bench.vend(bench.tokenPool[next++ % bench.tokenPool.length]);
  const rawOnce = () => bench.raw();
  for (const c of options.concurrency) {
    const vends: number[] = [];
    const raws: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? [vendOnce, rawOnce] : [rawOnce, vendOnce];
      for (const op of order) (op === vendOnce ? vends : raws).push(await throughput(op, c, slice));
    }
    const vend = median(vends);
    const raw = median(raws);
    figures.vendThroughput[`c${c}`] = round(vend, 1);
    figures.rawThroughput[`c${c}`] = round(raw, 1);
    figures.throughputRatio[`c${c}`] = round(vend / raw, 3);
  }
  return figures;
}
