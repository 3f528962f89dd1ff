/**
 * Where the time of a vend goes (issue 15): a CPU profile of the hot path, as `npm run bench` runs it.
 *
 *   npx tsx bench/profile-hot-path.ts [--iterations 2000] [--warmup 300] [--interval-us 100] [--out DIR]
 *
 * In this process, against the in-process local stack (dynalite, the local STS, the dev issuer), the
 * handler of functions/credentials.ts is warmed up as the bench does (prepareHotBench), then:
 *   1. unprofiled, the bench's own interleaved measure (measureHotPath): the p50s of this run;
 *   2. profiled (V8's sampling profiler through node:inspector), the same interleaving again: a vend
 *      with a new token (signed before its clock starts), a vend with the reused token, and the bare
 *      SDK's AssumeRole + PutItem (bench/raw-function.ts), the order rotating each iteration.
 * Every call's start and end are noted (CLOCK_MONOTONIC, the profiler's clock), so each sample is
 * given to the kind of call it fell in; samples between calls (token signing, event making) count for
 * none. A sample's time goes to the bucket of the nearest frame, from the leaf up, that belongs to a
 * known package or file (Node's internals and V8 builtins take their caller's bucket); any sample with
 * a frame of the local services (dynalite, local/) is theirs. It prints ms per call and % per bucket,
 * hallpass's buckets by file and by frame, and the wall time of jose's crypto.subtle.verify (the RSA
 * work runs on libuv's thread pool while the main thread waits), and writes the .cpuprofile (open it
 * in Chrome DevTools or speedscope).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { lambdaContext } from '../local/api-gateway.ts';
import { measureHotPath, prepareHotBench } from './hot-path.ts';
import { startStack } from './stack.ts';
import { mean, median, round } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '300' },
    'interval-us': { type: 'string', default: '100' },
    out: { type: 'string', default: tmpdir() },
  },
});
const ITERATIONS = Number(args.iterations);
const WARMUP = Number(args.warmup);
const INTERVAL_US = Number(args['interval-us']);

// --- The profile -------------------------------------------------------------------------------

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

/** Now on the profiler's clock (CLOCK_MONOTONIC), in microseconds. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

// --- Buckets -------------------------------------------------------------------------------------

const BUCKETS = [
  'token verification (jose, auth.ts, principal)',
  'request body (JSON, zod, json-body.ts)',
  'middy and middlewares (route, context, errors)',
  "hallpass's own code (grant, tags, plan, audit record, handler)",
  'logging and EMF (log.ts, access log, metrics)',
  'AWS SDK (build, sign, send, parse)',
  'local services (dynalite, local STS; both sides)',
  'Node runtime (event loop, sockets, HTTP, promises)',
  'garbage collection',
  'V8/native, unattributed ((program))',
  'idle (I/O wait, thread-pool crypto)',
  'bench harness',
  'other',
  'gaps without a sample (the sampler had no core)',
] as const;
type Bucket = (typeof BUCKETS)[number];
const [VERIFY, BODY, MIDDY, OWN, LOGGING, SDK, LOCAL, RUNTIME, GC, PROGRAM, IDLE, HARNESS, OTHER, GAP] =
  BUCKETS;
/** hallpass's buckets: what a bare SDK caller does not run. */
const HALLPASS: Bucket[] = [VERIFY, BODY, MIDDY, OWN, LOGGING];

const ROOT = new URL('..', import.meta.url).href;
const SERVER_PACKAGES = new Set([
  'dynalite',
  'memory-level',
  'abstract-level',
  'level',
  'level-supports',
  'level-transcoder',
  'classic-level',
  'browser-level',
  'module-error',
  'maybe-combine-errors',
  'functional-red-black-tree',
  'async',
  'big.js',
  'buffer-crc32',
  'lazy',
  'lock',
  'once',
  'wrappy',
  'queue-microtask',
]);
const SDK_PACKAGES =
  /^(@aws-sdk\/|@smithy\/|@aws-crypto\/|@aws\/|fast-xml-parser$|strnum$|tslib$|bowser$|uuid$)/;

function packageOf(url: string): string | null {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return null;
  const parts = url.slice(at + '/node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? null);
}

/** The file of the repository a frame is in ('lib/log.ts'), or null. */
function repoFile(url: string): string | null {
  if (!url.startsWith(ROOT) || url.includes('/node_modules/')) return null;
  return url.slice(ROOT.length);
}

function isServer(frame: CallFrame): boolean {
  const pkg = packageOf(frame.url);
  if (pkg) return SERVER_PACKAGES.has(pkg);
  const file = repoFile(frame.url);
  return (file?.startsWith('local/') ?? false) && !file?.startsWith('local/api-gateway');
}

/** The bucket of a frame of its own, or null for one that takes its caller's (Node, V8 builtins). */
function frameBucket(frame: CallFrame): Bucket | null {
  const pkg = packageOf(frame.url);
  if (pkg) {
    if (pkg === 'jose') return VERIFY;
    if (pkg === 'zod') return BODY;
    if (pkg.startsWith('@middy/')) return MIDDY;
    if (SDK_PACKAGES.test(pkg)) return SDK;
    if (SERVER_PACKAGES.has(pkg)) return LOCAL;
    return OTHER;
  }
  const file = repoFile(frame.url);
  if (file === null) return null;
  if (
    ['lib/adapters/auth.ts', 'lib/adapters/jwks-store.ts', 'lib/core/principal.ts'].includes(file) ||
    file === 'lib/http/middleware/authenticate.ts'
  )
    return VERIFY;
  if (['lib/zod.ts', 'lib/schemas.ts', 'lib/http/middleware/json-body.ts'].includes(file)) return BODY;
  if (
    [
      'lib/log.ts',
      'lib/adapters/metrics.ts',
      'lib/http/middleware/access-log.ts',
      'lib/http/middleware/flush-metrics.ts',
      'bench/console-sink.ts',
    ].includes(file)
  )
    return LOGGING;
  if (file.startsWith('lib/http/')) return MIDDY;
  if (file.startsWith('lib/') || file.startsWith('functions/')) return OWN;
  if (file.startsWith('local/')) return file.startsWith('local/api-gateway') ? HARNESS : LOCAL;
  if (file.startsWith('bench/raw-function')) return SDK;
  // This file's one function on the timed path: the wrapper of crypto.subtle.verify (Node's WebCrypto
  // JavaScript, run on the main thread before the thread pool's job, takes its bucket).
  if (file === 'bench/profile-hot-path.ts') return VERIFY;
  if (file.startsWith('bench/')) return HARNESS;
  return OTHER;
}

interface Attribution {
  bucket: Bucket;
  /** The frame that decided it: 'lib/log.ts info' (for the detail of hallpass's buckets). */
  site: string;
}

function attribute(profile: Profile): Map<number, Attribution> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const result = new Map<number, Attribution>();
  for (const node of profile.nodes) {
    const name = node.callFrame.functionName;
    const special: Record<string, Bucket> = {
      '(idle)': IDLE,
      '(garbage collector)': GC,
      '(program)': PROGRAM,
      '(root)': PROGRAM,
    };
    if (special[name]) {
      result.set(node.id, { bucket: special[name], site: name });
      continue;
    }
    const chain: ProfileNode[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      chain.push(byId.get(id) as ProfileNode);
    }
    if (chain.some((n) => isServer(n.callFrame))) {
      result.set(node.id, { bucket: LOCAL, site: 'local services' });
      continue;
    }
    let found: Attribution = { bucket: RUNTIME, site: 'node' };
    for (const n of chain) {
      const bucket = frameBucket(n.callFrame);
      if (bucket) {
        const where = repoFile(n.callFrame.url) ?? packageOf(n.callFrame.url) ?? n.callFrame.url;
        found = { bucket, site: `${where} ${n.callFrame.functionName || '(anonymous)'}` };
        break;
      }
    }
    result.set(node.id, found);
  }
  return result;
}

// --- Measuring -----------------------------------------------------------------------------------

type Kind = 'new' | 'reused' | 'raw';
const KINDS: Kind[] = ['new', 'reused', 'raw'];
interface Call {
  kind: Kind;
  start: number;
  end: number;
}

async function main(): Promise<void> {
  process.stderr.write('profile: starting the local stack\n');
  const stack = await startStack();
  const bench = await prepareHotBench(stack, WARMUP);
  let text = '';
  try {
    // jose verifies with crypto.subtle.verify, which Node runs on libuv's thread pool: its wall time
    // per call, in each pass (only new tokens are verified: reused ones hit the authenticator's cache).
    const subtle = globalThis.crypto.subtle;
    const verify = subtle.verify.bind(subtle);
    const verified = { calls: 0, us: 0 };
    subtle.verify = (async (...rest: Parameters<typeof verify>) => {
      const started = nowUs();
      try {
        return await verify(...rest);
      } finally {
        verified.calls++;
        verified.us += nowUs() - started;
      }
    }) as typeof subtle.verify;

    process.stderr.write(`profile: ${ITERATIONS} of each, unprofiled (the bench's measure)\n`);
    const unprofiled = await measureHotPath(bench, { warmup: 0, iterations: ITERATIONS });
    const verifyUnprofiledMs = verified.us / 1000 / Math.max(1, verified.calls);
    Object.assign(verified, { calls: 0, us: 0 });

    const calls: Call[] = [];
    const wallMs: Record<Kind, number[]> = { new: [], reused: [], raw: [] };
    const timed = async (kind: Kind, work: () => Promise<unknown>) => {
      const start = nowUs();
      await work();
      const end = nowUs();
      calls.push({ kind, start, end });
      wallMs[kind].push((end - start) / 1000);
    };
    const steps: Array<() => Promise<void>> = [
      async () => {
        const event = bench.event(await bench.freshToken());
        const context = lambdaContext('hallpass-bench-credentials');
        await timed('new', () => bench.invoke(event, context));
      },
      async () => {
        const event: APIGatewayProxyEventV2 = bench.event();
        const context = lambdaContext('hallpass-bench-credentials');
        await timed('reused', () => bench.invoke(event, context));
      },
      async () => {
        const input = bench.rawInput();
        await timed('raw', () => bench.raw(input));
      },
    ];

    process.stderr.write(`profile: ${ITERATIONS} of each, profiled every ${INTERVAL_US} us\n`);
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: INTERVAL_US });
    await post(session, 'Profiler.start');
    for (let i = 0; i < ITERATIONS; i++) {
      for (let j = 0; j < steps.length; j++) await (steps[(i + j) % steps.length] as () => Promise<void>)();
    }
    const { profile } = await post<{ profile: Profile }>(session, 'Profiler.stop');
    session.disconnect();
    subtle.verify = verify;

    const file = join(args.out, `hallpass-hot-path-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    text = report(
      profile,
      calls,
      wallMs,
      {
        unprofiledMs: verifyUnprofiledMs,
        profiledMs: verified.us / 1000 / Math.max(1, verified.calls),
      },
      unprofiled,
      file,
    );
  } finally {
    // Restores process.stdout.write, which the bench's sink sends to /dev/null until then.
    bench.close();
    await stack.close();
  }
  process.stdout.write(text);
}

function report(
  profile: Profile,
  calls: Call[],
  wallMs: Record<Kind, number[]>,
  verifyMs: { unprofiledMs: number; profiledMs: number },
  unprofiled: Awaited<ReturnType<typeof measureHotPath>>,
  file: string,
): string {
  const attribution = attribute(profile);
  const us: Record<Kind, Map<Bucket, number>> = { new: new Map(), reused: new Map(), raw: new Map() };
  const sites: Record<Kind, Map<string, number>> = { new: new Map(), reused: new Map(), raw: new Map() };
  let sampledUs = 0;
  let t = profile.startTime;
  let c = 0;
  calls.sort((a, b) => a.start - b.start);
  // A sample stands for the time until the next one, up to twice the usual spacing: on 2 cores shared
  // by the main thread, libuv's thread pool and the local services, the sampling thread sometimes
  // waits for a core, and what the main thread did meanwhile is unknown (not the last sample's stack).
  const spacing = median(profile.timeDeltas.filter((d) => d > 0));
  const add = (kind: Kind, bucket: Bucket, value: number) =>
    us[kind].set(bucket, (us[kind].get(bucket) ?? 0) + value);
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const next = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    const weight = Math.min(next, 2 * spacing);
    while (c < calls.length && (calls[c] as Call).end < t) c++;
    const call = calls[c];
    if (!call || call.start > t) continue;
    const a = attribution.get(profile.samples[i] as number) as Attribution;
    add(call.kind, a.bucket, weight);
    add(call.kind, GAP, next - weight);
    if (HALLPASS.includes(a.bucket))
      sites[call.kind].set(a.site, (sites[call.kind].get(a.site) ?? 0) + weight);
    sampledUs += next;
  }

  const n = (kind: Kind) => wallMs[kind].length;
  const ms = (kind: Kind, bucket: Bucket) => (us[kind].get(bucket) ?? 0) / 1000 / n(kind);
  const total = (kind: Kind) => BUCKETS.reduce((sum, b) => sum + ms(kind, b), 0);
  const f = (x: number, digits = 3) => x.toFixed(digits);
  const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(1)}%`;

  const lines: string[] = [];
  lines.push(
    `Unprofiled, ${unprofiled.iterations} of each interleaved (the bench's measure): p50 new token ${unprofiled.vendP50Ms} ms, reused ${unprofiled.vendReusedP50Ms} ms, bare SDK ${unprofiled.rawP50Ms} ms; ratios ${unprofiled.hotPathRatioP50} and ${unprofiled.hotPathReusedRatioP50}; overhead p50 ${unprofiled.overheadP50Ms} ms (new token), ${round((unprofiled.vendReusedP50Ms ?? 0) - (unprofiled.rawP50Ms ?? 0), 3)} ms (reused).`,
  );
  lines.push(
    `Profiled (every ${INTERVAL_US} us; samples came every ${f(spacing / 1000)} ms at the median), ${n('new')} of each: wall mean new ${f(mean(wallMs.new))} / reused ${f(mean(wallMs.reused))} / bare SDK ${f(mean(wallMs.raw))} ms, p50 ${f(median(wallMs.new))} / ${f(median(wallMs.reused))} / ${f(median(wallMs.raw))} ms; samples cover ${pct(
      sampledUs,
      calls.reduce((s, x) => s + x.end - x.start, 0),
    )} of the calls' wall time.`,
  );
  lines.push('');
  lines.push(
    '| bucket (self time, ms per call) | new token | % | reused token | % | bare SDK | % | new - SDK | reused - SDK |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const b of BUCKETS) {
    const [x, y, z] = KINDS.map((k) => ms(k, b)) as [number, number, number];
    if (x + y + z < 0.0005) continue;
    lines.push(
      `| ${b} | ${f(x)} | ${pct(x, total('new'))} | ${f(y)} | ${pct(y, total('reused'))} | ${f(z)} | ${pct(z, total('raw'))} | ${f(x - z)} | ${f(y - z)} |`,
    );
  }
  const hallpass = (k: Kind) => HALLPASS.reduce((s, b) => s + ms(k, b), 0);
  lines.push(
    `| **hallpass's buckets together** | ${f(hallpass('new'))} | ${pct(hallpass('new'), total('new'))} | ${f(hallpass('reused'))} | ${pct(hallpass('reused'), total('reused'))} | ${f(hallpass('raw'))} | ${pct(hallpass('raw'), total('raw'))} | ${f(hallpass('new') - hallpass('raw'))} | ${f(hallpass('reused') - hallpass('raw'))} |`,
  );
  const [tn, tr, ts] = KINDS.map(total) as [number, number, number];
  lines.push(
    `| **total (sampled)** | ${f(tn)} | 100% | ${f(tr)} | 100% | ${f(ts)} | 100% | ${f(tn - ts)} | ${f(tr - ts)} |`,
  );
  lines.push('');
  lines.push(
    `jose's crypto.subtle.verify, wall time from call to result (the RSA work runs on libuv's thread pool; the main thread waits, idle or starved): ${f(verifyMs.unprofiledMs)} ms a new-token vend unprofiled, ${f(verifyMs.profiledMs)} ms profiled (not called for a reused token).`,
  );
  lines.push('');
  // The same, by file or package (the part of `site` before its function name).
  const files: Record<Kind, Map<string, number>> = { new: new Map(), reused: new Map(), raw: new Map() };
  for (const kind of KINDS) {
    for (const [site, value] of sites[kind]) {
      const where = site.split(' ')[0] as string;
      files[kind].set(where, (files[kind].get(where) ?? 0) + value);
    }
  }
  lines.push("hallpass's buckets by file or package (ms per call):");
  lines.push('| file or package | new token | reused token |');
  lines.push('|---|---|---|');
  for (const [where, value] of [...files.new.entries()].sort((a, b) => b[1] - a[1])) {
    if (value / 1000 / n('new') < 0.002) continue;
    lines.push(
      `| ${where} | ${f(value / 1000 / n('new'))} | ${f((files.reused.get(where) ?? 0) / 1000 / n('reused'))} |`,
    );
  }
  lines.push('');
  lines.push("Heaviest frames of hallpass's buckets (ms per call; the frame that took the sample):");
  lines.push('| frame | new token | reused token |');
  lines.push('|---|---|---|');
  const top = [...sites.new.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
  for (const [site, value] of top) {
    lines.push(
      `| ${site} | ${f(value / 1000 / n('new'))} | ${f((sites.reused.get(site) ?? 0) / 1000 / n('reused'))} |`,
    );
  }
  lines.push('');
  lines.push(`Profile: ${file}`);
  return `${lines.join('\n')}\n`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `profile: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
