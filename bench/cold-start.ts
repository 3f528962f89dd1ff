/**
 * Cold start: fresh Node processes that import the bundled vend function exactly as `npm run package`
 * ships it (unzipped from .serverless/credentials.zip) and serve one event, alternating with fresh
 * processes that import an esbuild bundle of the bare AWS SDK clients (raw-function.ts, bundled with
 * serverless.yml's own esbuild settings) and make the same AWS calls. Wall time is measured from spawn
 * to the answer; each process also reports its boot, import and invoke times and its peak RSS.
 *
 * The vend runs against two issuers, interleaved with the same baseline processes: the dev issuer on
 * loopback, and the same issuer behind a proxy that answers after `issuerDelayMs` (issuer-delay.ts),
 * as Okta, Entra or Google would from a Lambda; the latter also with HALLPASS_JWKS_URI set (no
 * discovery round trip), and with HALLPASS_JWKS_STORE on (the JWKS read from the requests table,
 * where the scheduled refresh keeps it: no issuer round trip at all).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { parse } from 'yaml';
import { refreshIssuerKeys } from '../lib/use-cases/refresh-issuer-keys.ts';
import { difference, snapshot, type Tally } from './counters.ts';
import type { HotBench } from './hot-path.ts';
import { startDelayedIssuer } from './issuer-delay.ts';
import type { Stack } from './stack.ts';
import { median, round } from './stats.ts';
import { unzip, zipEntries } from './zip.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '..');
const PACKAGE_DIR = join(ROOT, '.serverless');
const CHILD = join(HERE, 'cold-child.mjs');
/**
 * This process's environment before the benchmark pointed it at the local services: packaging must
 * not see the bench's HALLPASS_ISSUER and the like (serverless.yml writes them into the template).
 */
const PACKAGING_ENV: NodeJS.ProcessEnv = { ...process.env };
/** What the deployed package is built from: newer than the package means the package is stale. */
const SOURCES = [
  'lib',
  'functions',
  'catalog',
  'deploy',
  'serverless.yml',
  'package-lock.json',
  'scripts/package.ts',
];

export interface ColdStartOptions {
  runs: number;
  /** Package even when .serverless/ is newer than every source. */
  repackage: boolean;
  /** How long the delayed issuer takes to answer each request (discovery, JWKS). */
  issuerDelayMs: number;
  /**
   * Another build's credentials.zip (say, main's, before a change): its processes join the rounds of
   * the stored-JWKS scenario, so that the two builds are compared side by side in one run.
   */
  comparePackage?: string;
}

export interface ChildReport {
  wallMs: number;
  bootMs: number;
  importMs: number;
  invokeMs: number;
  rssMb: number;
}

export interface ColdStartFigures {
  runs: number;
  coldStartMs: number | null;
  coldStartRawMs: number | null;
  coldStartRatio: number | null;
  /** The same vend against an issuer that answers after `issuerDelayMs`, against the same baseline. */
  issuerDelayMs: number;
  coldStartDelayedMs: number | null;
  coldStartDelayedRatio: number | null;
  /** The delayed issuer with HALLPASS_JWKS_URI set: the JWKS fetch without discovery. */
  coldStartDelayedJwksUriMs: number | null;
  coldStartDelayedJwksUriRatio: number | null;
  /**
   * The delayed issuer with HALLPASS_JWKS_STORE on: the JWKS from the requests table (one GetItem),
   * refreshed there before each round as the scheduled function would.
   */
  coldStartDelayedStoredMs: number | null;
  coldStartDelayedStoredRatio: number | null;
  storedPhasesMs: { boot: number | null; import: number | null; invoke: number | null };
  /** With `comparePackage`: the stored-JWKS scenario served by that package, in the same rounds. */
  compared?: {
    package: string;
    coldStartDelayedStoredMs: number | null;
    coldStartDelayedStoredRatio: number | null;
    storedPhasesMs: { boot: number | null; import: number | null; invoke: number | null };
  };
  /** Requests the local services received per cold vend served from the stored JWKS. */
  requestsPerColdVendStored: Record<string, number>;
  coldStartRssMb: number | null;
  coldStartRawRssMb: number | null;
  /** Medians of what each process reported: Node's boot, the import of the bundle, the one invocation. */
  vendPhasesMs: { boot: number | null; import: number | null; invoke: number | null };
  delayedPhasesMs: { boot: number | null; import: number | null; invoke: number | null };
  rawPhasesMs: { boot: number | null; import: number | null; invoke: number | null };
  /** Requests the local services received per cold vend (discovery and JWKS fetches included). */
  requestsPerColdVend: Record<string, number>;
  bundleBytes: Record<string, number>;
  rawBundleBytes: number;
  /**
   * The metrics library alone: median wall time of fresh processes serving one event with a bundle
   * that only records and flushes metrics, minus that of an empty bundle; and its bundle bytes.
   */
  metricsLibraryColdMs: number | null;
  metricsLibraryBundleBytes: number;
  packaged: 'fresh' | 'reused';
}

function newestMtime(path: string): number {
  const full = join(ROOT, path);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(full);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(full).map((name) => newestMtime(join(path, name))));
}

/** Runs `npm run package` unless .serverless/ is newer than everything it is built from. */
export function ensurePackage(force: boolean): 'fresh' | 'reused' {
  const zip = join(PACKAGE_DIR, 'credentials.zip');
  let packaged = 0;
  try {
    packaged = statSync(zip).mtimeMs;
  } catch {}
  if (!force && packaged > 0 && Math.max(...SOURCES.map(newestMtime)) < packaged) return 'reused';
  const result = spawnSync('npm', ['run', 'package', '--loglevel=warn'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...PACKAGING_ENV, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
  });
  if (result.status !== 0) {
    throw new Error(`npm run package failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return 'fresh';
}

/** The size of each function's JavaScript in its zip, by function name: what Lambda loads. */
export function bundleBytes(): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const file of readdirSync(PACKAGE_DIR)
    .filter((name) => name.endsWith('.zip'))
    .sort()) {
    const entries = zipEntries(readFileSync(join(PACKAGE_DIR, file)));
    sizes[basename(file, '.zip')] = entries
      .filter((entry) => /\.(?:mjs|cjs|js)$/.test(entry.name))
      .reduce((sum, entry) => sum + entry.size, 0);
  }
  return sizes;
}

/** serverless.yml's esbuild settings (custom.esbuild), as esbuild options. */
export function packagingBuildOptions(): { options: BuildOptions; external: string[] } {
  const document = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
    custom?: { esbuild?: Record<string, unknown> };
  };
  const settings = document.custom?.esbuild ?? {};
  const passThrough = [
    'bundle',
    'minify',
    'sourcemap',
    'target',
    'platform',
    'format',
    'mainFields',
    'banner',
    'footer',
    'define',
    'conditions',
    'keepNames',
    'treeShaking',
    'legalComments',
    // The functions' credential provider (environment only): the bare-SDK baseline must get it too.
    'alias',
  ];
  const options: BuildOptions = {};
  for (const key of passThrough) {
    if (settings[key] !== undefined) (options as Record<string, unknown>)[key] = settings[key];
  }
  // serverless-esbuild's `plugins` names a module, relative to the service, exporting the plugins.
  if (typeof settings.plugins === 'string') {
    options.plugins = createRequire(import.meta.url)(join(ROOT, settings.plugins)) as Plugin[];
  }
  // serverless-esbuild's `exclude` (and esbuild's `external`) leave packages to the Lambda runtime.
  const external = [
    ...((settings.external as string[] | undefined) ?? []),
    ...((settings.exclude as string[] | undefined) ?? []),
  ].filter((name) => name !== '*');
  return { options, external };
}

/** Bundles a bench function as the functions are bundled; returns its path and size. */
async function buildRaw(dir: string, name = 'raw-function'): Promise<{ file: string; bytes: number }> {
  const { options, external } = packagingBuildOptions();
  const file = join(dir, `${name}.mjs`);
  await build({
    ...options,
    entryPoints: [join(HERE, `${name}.ts`)],
    outfile: file,
    external,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}

/** A clean Lambda-like environment: the function's variables and a PATH, nothing of this shell's. */
function childEnv(stack: Stack): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    ...stack.env,
  };
}

/**
 * Node options for every fresh process, from BENCH_COLD_NODE_ARGS (space-separated), to profile
 * cold starts: `BENCH_COLD_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/cold'` (bench/README.md).
 */
const CHILD_NODE_ARGS = (process.env.BENCH_COLD_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** One fresh process: spawn, import, one event, answer. */
function runChild(module: string, input: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ChildReport> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...CHILD_NODE_ARGS, CHILD, module, input], {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let answeredAt = 0;
    let report = '';
    let stderr = '';
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      if (!answeredAt && chunk.includes(10)) answeredAt = performance.now();
      report += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      let fields: Record<string, unknown> = {};
      try {
        fields = JSON.parse(report.trim().split('\n')[0] ?? '{}');
      } catch {}
      if (code !== 0 || fields.status !== 200 || !answeredAt) {
        reject(
          new Error(
            `cold start of ${basename(module)} failed (exit ${code}, status ${String(fields.status)}): ${String(fields.error ?? fields.body ?? '')}\n${stderr}`,
          ),
        );
        return;
      }
      resolvePromise({
        wallMs: answeredAt - started,
        bootMs: fields.bootMs as number,
        importMs: fields.importMs as number,
        invokeMs: fields.invokeMs as number,
        rssMb: (fields.maxRssKb as number) / 1024,
      });
    });
  });
}

const phases = (reports: ChildReport[]) => ({
  boot: round(median(reports.map((r) => r.bootMs)), 1),
  import: round(median(reports.map((r) => r.importMs)), 1),
  invoke: round(median(reports.map((r) => r.invokeMs)), 1),
});

export async function measureColdStart(
  stack: Stack,
  bench: HotBench,
  options: ColdStartOptions,
): Promise<ColdStartFigures> {
  const packaged = ensurePackage(options.repackage);
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-bench-cold-'));
  const delayedIssuer = await startDelayedIssuer(stack.urls.issuer, options.issuerDelayMs);
  const dynamodb = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.urls.dynamodb,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const vendDir = join(dir, 'credentials');
    const rawDir = join(dir, 'raw');
    mkdirSync(rawDir, { recursive: true });
    unzip(join(PACKAGE_DIR, 'credentials.zip'), vendDir);
    const raw = await buildRaw(rawDir);
    if (packagingBuildOptions().external.length > 0) {
      // Packages left out of the bundle come from the runtime on Lambda: from node_modules here.
      for (const d of [vendDir, rawDir])
        symlinkSync(join(ROOT, 'node_modules'), join(d, 'node_modules'), 'dir');
    }
    const vendModule = join(vendDir, 'functions', 'credentials.mjs');
    const comparedDir = join(dir, 'compared');
    if (options.comparePackage) unzip(resolve(options.comparePackage), comparedDir);
    const comparedModule = join(comparedDir, 'functions', 'credentials.mjs');
    // The packaged catalog (JSON, deploy/catalog-json.cjs), as serverless.yml points the functions
    // at it; the YAML catalog when the package has none.
    const catalogOf = (packageDir: string) => {
      const catalogDir = join(packageDir, '.hallpass', 'catalog');
      const packagedCatalog = existsSync(catalogDir)
        ? readdirSync(catalogDir).find((name) => name.endsWith('.json'))
        : undefined;
      // None packaged (an older build): its YAML, and no hash another package's file would not match.
      if (!packagedCatalog)
        return { HALLPASS_CATALOG: stack.env.HALLPASS_CATALOG, HALLPASS_CATALOG_SHA256: undefined };
      const relative = join('.hallpass', 'catalog', packagedCatalog);
      // Its SHA-256 too, as serverless.yml gives it (deploy/catalog-json.cjs wrote and hashed it).
      const sha256 = createHash('sha256')
        .update(readFileSync(join(packageDir, relative)))
        .digest('hex');
      return { HALLPASS_CATALOG: relative, HALLPASS_CATALOG_SHA256: sha256 };
    };
    const env = { ...childEnv(stack), ...catalogOf(vendDir) };
    const delayedEnv = { ...env, HALLPASS_ISSUER: delayedIssuer.url };
    const jwksUriEnv = { ...delayedEnv, HALLPASS_JWKS_URI: `${delayedIssuer.url}/.well-known/jwks.json` };
    const storedEnv = { ...delayedEnv, HALLPASS_JWKS_STORE: 'on' };
    const comparedEnv = { ...storedEnv, ...catalogOf(comparedDir) };
    // What functions/jwks-refresh.ts does every 5 minutes: outside the measured processes.
    const refreshStore = async () => {
      const [result] = await refreshIssuerKeys({
        config: { issuers: [{ name: 'primary', issuer: delayedIssuer.url, jwksUri: undefined }] },
        requests: { client: dynamodb, tableName: stack.tables.requests },
      });
      if (!result?.ok) throw new Error('the JWKS refresh failed', { cause: result?.error });
    };
    const inputFile = join(dir, 'input.json');

    const vends: ChildReport[] = [];
    const delayed: ChildReport[] = [];
    const jwksUri: ChildReport[] = [];
    const stored: ChildReport[] = [];
    const storedCompared: ChildReport[] = [];
    const raws: ChildReport[] = [];
    const served: Tally = {};
    const servedStored: Tally = {};
    const coldVend = async () => {
      writeFileSync(inputFile, JSON.stringify({ event: bench.event() }));
      const before = snapshot();
      const report = await runChild(vendModule, inputFile, vendDir, env);
      for (const [key, value] of Object.entries(difference(snapshot(), before))) {
        if (key.endsWith('.served')) served[key] = (served[key] ?? 0) + value;
      }
      return report;
    };
    const coldDelayed = async (childEnv: NodeJS.ProcessEnv, tally?: Tally, compared = false) => {
      writeFileSync(inputFile, JSON.stringify({ event: bench.event(await stack.token(delayedIssuer.url)) }));
      const before = snapshot();
      const report = compared
        ? await runChild(comparedModule, inputFile, comparedDir, childEnv)
        : await runChild(vendModule, inputFile, vendDir, childEnv);
      if (tally) {
        for (const [key, value] of Object.entries(difference(snapshot(), before))) {
          if (key.endsWith('.served')) tally[key] = (tally[key] ?? 0) + value;
        }
      }
      return report;
    };
    const coldRaw = async () => {
      writeFileSync(inputFile, JSON.stringify({ event: bench.rawInput() }));
      return runChild(raw.file, inputFile, rawDir, env);
    };

    // One of each first, not counted: the page cache and the services' first requests.
    await coldVend();
    await coldDelayed(delayedEnv);
    await refreshStore();
    await coldDelayed(storedEnv);
    if (options.comparePackage) await coldDelayed(comparedEnv, undefined, true);
    await coldRaw();
    for (const key of Object.keys(served)) delete served[key];
    // Each round runs one process of each kind, starting with a different kind each time.
    const kinds = [
      async () => vends.push(await coldVend()),
      async () => delayed.push(await coldDelayed(delayedEnv)),
      async () => jwksUri.push(await coldDelayed(jwksUriEnv)),
      async () => stored.push(await coldDelayed(storedEnv, servedStored)),
      async () => raws.push(await coldRaw()),
      ...(options.comparePackage
        ? [async () => storedCompared.push(await coldDelayed(comparedEnv, undefined, true))]
        : []),
    ];
    for (let i = 0; i < options.runs; i++) {
      // The stored set stays well inside its 10 minutes, as the 5-minute schedule keeps it.
      await refreshStore();
      for (let k = 0; k < kinds.length; k++) await kinds[(i + k) % kinds.length]?.();
    }

    // The metrics library's own share: an empty function and one that only records metrics.
    const metricsOnly = await buildRaw(rawDir, 'metrics-only');
    const empty = await buildRaw(rawDir, 'empty-function');
    const withMetrics: ChildReport[] = [];
    const without: ChildReport[] = [];
    for (let i = 0; i <= options.runs; i++) {
      const a = await runChild(metricsOnly.file, inputFile, rawDir, env);
      const b = await runChild(empty.file, inputFile, rawDir, env);
      // The first of each warms the page cache.
      if (i > 0) {
        withMetrics.push(a);
        without.push(b);
      }
    }
    const metricsMs = median(withMetrics.map((r) => r.wallMs));
    const emptyMs = median(without.map((r) => r.wallMs));

    const vendMs = median(vends.map((r) => r.wallMs));
    const rawMs = median(raws.map((r) => r.wallMs));
    const delayedMs = median(delayed.map((r) => r.wallMs));
    const jwksUriMs = median(jwksUri.map((r) => r.wallMs));
    const storedMs = median(stored.map((r) => r.wallMs));
    const perVend = (tally: Tally) =>
      Object.fromEntries(
        Object.entries(tally).map(([key, value]) => [
          key.replace(/\.served$/, ''),
          round(value / options.runs, 2) ?? 0,
        ]),
      );
    return {
      runs: options.runs,
      coldStartMs: round(vendMs, 1),
      coldStartRawMs: round(rawMs, 1),
      coldStartRatio: round(vendMs / rawMs, 3),
      issuerDelayMs: options.issuerDelayMs,
      coldStartDelayedMs: round(delayedMs, 1),
      coldStartDelayedRatio: round(delayedMs / rawMs, 3),
      coldStartDelayedJwksUriMs: round(jwksUriMs, 1),
      coldStartDelayedJwksUriRatio: round(jwksUriMs / rawMs, 3),
      coldStartDelayedStoredMs: round(storedMs, 1),
      coldStartDelayedStoredRatio: round(storedMs / rawMs, 3),
      storedPhasesMs: phases(stored),
      ...(options.comparePackage
        ? {
            compared: {
              package: options.comparePackage,
              coldStartDelayedStoredMs: round(median(storedCompared.map((r) => r.wallMs)), 1),
              coldStartDelayedStoredRatio: round(median(storedCompared.map((r) => r.wallMs)) / rawMs, 3),
              storedPhasesMs: phases(storedCompared),
            },
          }
        : {}),
      requestsPerColdVendStored: perVend(servedStored),
      coldStartRssMb: round(median(vends.map((r) => r.rssMb)), 1),
      coldStartRawRssMb: round(median(raws.map((r) => r.rssMb)), 1),
      vendPhasesMs: phases(vends),
      delayedPhasesMs: phases(delayed),
      rawPhasesMs: phases(raws),
      requestsPerColdVend: Object.fromEntries(
        Object.entries(served).map(([key, value]) => [
          key.replace(/\.served$/, ''),
          round(value / options.runs, 2) ?? 0,
        ]),
      ),
      bundleBytes: bundleBytes(),
      rawBundleBytes: raw.bytes,
      metricsLibraryColdMs: round(metricsMs - emptyMs, 1),
      metricsLibraryBundleBytes: metricsOnly.bytes - empty.bytes,
      packaged,
    };
  } finally {
    dynamodb.destroy();
    await delayedIssuer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
