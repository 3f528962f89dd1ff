/**
 * `npm run bench`: how much hallpass adds to the AWS calls it makes (issue 8).
 *
 *   1. Hot path: vends through the deployed handler module, interleaved with the same AWS calls made
 *      directly with the SDK, in one process, against dynalite and the local STS on loopback.
 *   2. Cold start: fresh processes importing the packaged vend bundle versus a bundle of the bare SDK
 *      clients, each serving one call; bundle sizes of every packaged function.
 *   3. Throughput: vends per second at 1, 10 and 50 concurrent callers (the callers in one process,
 *      the services in this one).
 *   4. Audit scale: the audit query's p50 per filter at 1k and 100k records (5k with --quick).
 *
 * Prints a table and writes bench-results.json (figures, goals, pass). Exits non-zero only if
 * something failed, never for a missed goal.
 *
 *   tsx bench/run.ts [--quick] [--out FILE] [--only hot,cold,throughput,audit] [--repackage]
 *                    [--issuer-delay-ms 80] [--compare-package OTHER/credentials.zip]
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { measureAuditScale } from './audit-scale.ts';
import { measureColdStart } from './cold-start.ts';
import { type HotBench, measureHotPath, prepareHotBench } from './hot-path.ts';
import { GOALS, type Results, table, verdicts } from './report.ts';
import { type Stack, startStack } from './stack.ts';
import { measureThroughputApart } from './throughput.ts';

const SECTIONS = ['hot', 'cold', 'throughput', 'audit'] as const;
type Section = (typeof SECTIONS)[number];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results.json' },
    only: { type: 'string' },
    repackage: { type: 'boolean', default: false },
    'issuer-delay-ms': { type: 'string', default: '80' },
    'compare-package': { type: 'string' },
  },
});

const issuerDelayMs = Number(args['issuer-delay-ms']);
if (!Number.isInteger(issuerDelayMs) || issuerDelayMs < 0) {
  process.stderr.write(`--issuer-delay-ms must be a whole number of milliseconds\n`);
  process.exit(2);
}

const only = new Set((args.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim()));
for (const name of only) {
  if (!SECTIONS.includes(name as Section)) {
    process.stderr.write(`unknown section '${name}' (sections: ${SECTIONS.join(', ')})\n`);
    process.exit(2);
  }
}

// Full: well under 5 minutes on a 2-core machine. Quick (CI): enough to exercise every path.
const settings = args.quick
  ? { warmup: 20, iterations: 100, throughputSeconds: 0.5, throughputRounds: 2, coldRuns: 3 }
  : { warmup: 300, iterations: 3000, throughputSeconds: 5, throughputRounds: 5, coldRuns: 25 };
const CONCURRENCY = [1, 10, 50];

/** What a reader of bench-results.json needs to know to read the figures. */
const NOTES = [
  'Hot path: the raw baseline is the same AssumeRole and audit PutItem made with the bare SDK, against the same in-process dynalite and local STS over loopback, where both calls take about 2 ms; against AWS they take tens of ms, so the same absolute overhead (overheadP50Ms) is a much smaller ratio there.',
  'Hot path: the direct vend path (an entitlement without approval). Each vend presents a token it has never seen (its own jti), so no token cache can flatter it; throughput callers rotate through 64 tokens.',
  'Cold start: wall time from spawn to answer of a fresh node process; it includes the OIDC discovery and JWKS fetches from the local dev issuer (coldStartMs, over loopback) or from the same issuer behind a proxy that answers each request after issuerDelayMs, as an internet issuer would (coldStartDelayedMs; coldStartDelayedJwksUriMs with HALLPASS_JWKS_URI set, so without discovery; coldStartDelayedStoredMs with HALLPASS_JWKS_STORE on, the JWKS read from the requests table where the bench refreshes it before each round as the scheduled function would, so without any issuer round trip). All four are divided by the same baseline processes. Peak RSS is VmHWM (getrusage maxRSS carries the parent process peak across fork and exec on Linux).',
  'Bundles: the AWS SDK is bundled (the version pinned in package.json, not the runtime one); the bare STS and DynamoDB clients alone are rawBundleBytes, so every function that calls AWS is over 300 KB for that reason.',
  'Throughput: the callers run in a child process (the handler module, as one Node process would run it), the local services in the parent, so that each side has a core.',
];

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<number> {
  const started = performance.now();
  const results: Results = {
    mode: args.quick ? 'quick' : 'full',
    startedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    },
  };
  const errors: string[] = [];
  const attempt = async (name: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      errors.push(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      progress(`${name} FAILED`);
    }
  };

  let stack: Stack | undefined;
  let bench: HotBench | undefined;
  try {
    progress('starting dynalite, the local STS and the dev issuer (in process)');
    stack = await startStack();
    const s = stack;
    // The cold start takes its events and baseline inputs from the warm bench.
    if (only.has('hot') || only.has('cold')) {
      progress(`warming up the vend handler (${settings.warmup} vends and baseline calls)`);
      bench = await prepareHotBench(s, settings.warmup);
    }
    const b = bench;
    if (b && only.has('hot')) {
      await attempt('hot path', async () => {
        progress(
          `hot path: ${settings.iterations} vends interleaved with ${settings.iterations} baseline calls`,
        );
        const { iterations, ...figures } = await measureHotPath(b, {
          warmup: 0,
          iterations: settings.iterations,
        });
        Object.assign(results, { hotPathIterations: iterations, ...figures });
      });
    }
    if (b && only.has('cold')) {
      await attempt('cold start', async () => {
        progress(`cold start: ${settings.coldRuns} fresh processes of each kind`);
        const { runs, ...figures } = await measureColdStart(s, b, {
          runs: settings.coldRuns,
          repackage: args.repackage,
          issuerDelayMs,
          comparePackage: args['compare-package'],
        });
        Object.assign(results, { coldStartRuns: runs, ...figures });
      });
    }
    if (only.has('throughput')) {
      await attempt('throughput', async () => {
        progress(
          `throughput: ${settings.throughputSeconds} s at each of ${CONCURRENCY.join(', ')} concurrent callers (callers in a child process)`,
        );
        const figures = await measureThroughputApart(s, {
          seconds: settings.throughputSeconds,
          rounds: settings.throughputRounds,
          concurrency: CONCURRENCY,
          warmup: settings.warmup,
        });
        Object.assign(results, {
          throughputSeconds: settings.throughputSeconds,
          throughputRounds: settings.throughputRounds,
          ...figures,
        });
      });
    }
    if (only.has('audit')) {
      await attempt('audit scale', async () => {
        Object.assign(results, await measureAuditScale(s, { quick: args.quick }));
      });
    }
  } catch (error) {
    errors.push(`setup: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    bench?.close();
    await stack?.close().catch((error: unknown) => errors.push(`teardown: ${String(error)}`));
  }

  // A loaded machine (other builds, tests) moves every figure: the load averages say how quiet it was.
  results.machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const pass = verdicts(results);
  Object.assign(results, {
    notes: NOTES,
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    goals: GOALS,
    pass,
    errors,
  });
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);

  process.stdout.write(`\n${table(results, pass)}\n\n`);
  process.stdout.write(
    `mode ${results.mode}, ${results.durationSeconds} s, load average ${results.machine.loadAverageAtStart[0]} -> ${results.machine.loadAverageAtEnd[0]} on ${results.machine.cpus} CPUs; figures in ${args.out}\n`,
  );
  if (errors.length) {
    process.stderr.write(`\n${errors.length} error(s):\n${errors.join('\n\n')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
