/**
 * `npx tsx bench/bundles.ts`: each function's JavaScript as `npm run package` left it in
 * .serverless/ (what Lambda loads; run `npm run package` first), against the 300 KB goal.
 * `npx tsx bench/bundles.ts --by-package <function> [<path part>]`: what one function's bundle is
 * made of, by package (and by file for the files whose path holds <path part>), from the metafile of
 * a build with serverless.yml's own esbuild settings: where to look before cutting.
 * `npx tsx bench/bundles.ts --steps`: every function built, in one run, without the size measures
 * (keepNames on, no event-stream alias, no plugins), then with each added in turn: what each saves.
 * `npx tsx bench/bundles.ts --import-time <function> [runs]`: the median time a fresh Node process
 * takes to import that function's bundle built without the measures and with them, alternating,
 * against the bench's local stack (its settings; nothing is invoked).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { parse } from 'yaml';
import { parseCatalog } from '../lib/core/catalog.ts';
import { bundleBytes, packagingBuildOptions } from './cold-start.ts';
import { startStack } from './stack.ts';
import { median, round } from './stats.ts';

// 300 KB read strictly, as 300,000 bytes.
const GOAL_BYTES = 300_000;

/** Bytes of one bundle by package (`lib/...` for hallpass's own code), and by file. */
export async function bundleComposition(handlerModule: string) {
  const { options, external } = packagingBuildOptions();
  const result = await build({
    ...options,
    entryPoints: [handlerModule],
    outfile: 'bundle.mjs',
    write: false,
    external,
    metafile: true,
    logLevel: 'error',
  });
  const [output] = Object.values(result.metafile.outputs);
  if (!output) throw new Error(`no output for ${handlerModule}`);
  const byPackage: Record<string, number> = {};
  const byFile: Record<string, number> = {};
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const owner =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/').slice(0, 2).join('/');
    byPackage[owner] = (byPackage[owner] ?? 0) + bytesInOutput;
    byFile[file] = bytesInOutput;
  }
  return { bytes: output.bytes, byPackage, byFile };
}

/** Every function's handler module, by function name, from serverless.yml. */
function handlerModules(): Record<string, string> {
  const { functions } = parse(readFileSync('serverless.yml', 'utf8')) as {
    functions: Record<string, { handler: string }>;
  };
  return Object.fromEntries(
    Object.entries(functions).map(([name, { handler }]) => [
      name,
      `${handler.slice(0, handler.lastIndexOf('.'))}.ts`,
    ]),
  );
}

/** The last step: every measure, as serverless.yml builds the functions. */
const LAST_STEP = 'stsSigV4';

/**
 * The size measures, cumulatively: each step's esbuild options from serverless.yml's, with the
 * measures of the later steps taken out.
 */
export function steps(): Array<{ step: string; options: BuildOptions }> {
  const { options } = packagingBuildOptions();
  const plugins = (options.plugins ?? []) as Plugin[];
  const named = (...names: string[]) => plugins.filter((p) => names.some((n) => p.name.endsWith(n)));
  const without = (...names: string[]) => plugins.filter((p) => !names.some((n) => p.name.endsWith(n)));
  // The plugins of the later steps, in step order: a step has every plugin but its own and theirs.
  const later = ['version-only', 'packaged-catalog-only', 'native-sha256-only', 'sts-sigv4-only'];
  const pluginsBefore = (name: string) => {
    const at = later.indexOf(name);
    if (at < 0) throw new Error(`no step adds the plugin ${name}`);
    return without(...later.slice(at));
  };
  // Every alias but the endpoint cache's (the last step), and, before any step, none of the two.
  const { '@aws-sdk/middleware-endpoint-discovery': _endpointCache, ...alias } = options.alias ?? {};
  const { '@smithy/core/event-streams': _eventStreams, ...otherAliases } = alias;
  const before = { ...options, keepNames: true, alias: otherAliases, plugins: [] };
  return [
    { step: 'before', options: before },
    { step: 'eventStreams', options: { ...before, alias } },
    {
      step: 'keepNames',
      options: { ...before, alias, keepNames: false, plugins: named('keep-names-where-read') },
    },
    { step: 'sdkErrors', options: { ...options, alias, plugins: pluginsBefore('version-only') } },
    {
      step: 'clientVersion',
      options: { ...options, alias, plugins: pluginsBefore('packaged-catalog-only') },
    },
    {
      step: 'packagedCatalog',
      options: { ...options, alias, plugins: pluginsBefore('native-sha256-only') },
    },
    { step: 'endpointCache', options: { ...options, plugins: pluginsBefore('native-sha256-only') } },
    { step: 'nativeSha256', options: { ...options, plugins: pluginsBefore('sts-sigv4-only') } },
    { step: LAST_STEP, options },
  ];
}

/** Each function's bundle bytes at each step, built side by side in one run. */
export async function bundleSteps(): Promise<Record<string, Record<string, number>>> {
  const { external } = packagingBuildOptions();
  const modules = handlerModules();
  const sizes: Record<string, Record<string, number>> = {};
  for (const { step, options } of steps()) {
    const result = await build({
      ...options,
      entryPoints: Object.values(modules),
      outdir: 'out',
      outbase: '.',
      write: false,
      external,
      metafile: true,
      logLevel: 'error',
    });
    for (const [name, module] of Object.entries(modules)) {
      const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint === module);
      if (!output) throw new Error(`no output for ${module}`);
      sizes[name] = { ...sizes[name], [step]: output.bytes };
    }
  }
  return sizes;
}

/** Median import time of one function's bundle without the size measures and with them. */
export async function importTimes(
  name: string,
  runs: number,
): Promise<{ before: number | null; now: number | null }> {
  const stack = await startStack();
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-bench-import-'));
  try {
    // The catalog as JSON, validated, with its SHA-256, as the functions are handed it
    // (deploy/catalog-json.cjs): the packaged build reads no other.
    const catalog = join(dir, 'catalog.json');
    const validated = JSON.stringify(
      parseCatalog(parse(readFileSync(stack.env.HALLPASS_CATALOG as string, 'utf8')), {
        maxSessionSeconds: 3600,
      }),
    );
    writeFileSync(catalog, validated);
    const catalogSha256 = createHash('sha256').update(validated).digest('hex');
    const { external } = packagingBuildOptions();
    const variants = steps().filter(({ step }) => step === 'before' || step === LAST_STEP);
    for (const { step, options } of variants) {
      await build({
        ...options,
        entryPoints: [`functions/${name}.ts`],
        outfile: join(dir, `${step}.mjs`),
        external,
        logLevel: 'error',
      });
    }
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...stack.env,
      HALLPASS_CATALOG: catalog,
      HALLPASS_CATALOG_SHA256: catalogSha256,
    };
    const times: Record<string, number[]> = { before: [], [LAST_STEP]: [] };
    const importOnce = (step: string) => {
      const file = JSON.stringify(join(dir, `${step}.mjs`));
      const code = `const t = performance.now(); await import(${file}); console.log('ms', performance.now() - t); process.exit(0);`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        env,
        encoding: 'utf8',
      });
      const ms = /ms ([\d.]+)/.exec(child.stdout)?.[1];
      if (!ms) throw new Error(`importing the ${step} bundle of ${name} failed: ${child.stderr}`);
      times[step]?.push(Number(ms));
    };
    for (let i = 0; i < runs; i++) {
      for (const step of i % 2 ? ['before', LAST_STEP] : [LAST_STEP, 'before']) importOnce(step);
    }
    return {
      before: round(median(times.before ?? []), 1),
      now: round(median(times[LAST_STEP] ?? []), 1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await stack.close();
  }
}

const sorted = (sizes: Record<string, number>) => Object.entries(sizes).sort(([, a], [, b]) => b - a);

if (import.meta.url === `file://${process.argv[1]}`) {
  const [flag, name, part] = process.argv.slice(2);
  if (flag === '--import-time' && name) {
    const { before, now } = await importTimes(name, Number(part ?? 21));
    console.log(`${name}: import ${before} ms without the size measures, ${now} ms with them (medians)`);
    process.exit(0);
  } else if (flag === '--steps') {
    const sizes = await bundleSteps();
    const names = Object.keys(Object.values(sizes)[0] ?? {});
    console.log(['function', ...names].join('\t'));
    for (const [fn, bySteps] of Object.entries(sizes).sort(([a], [b]) => a.localeCompare(b)))
      console.log([fn, ...names.map((n) => bySteps[n])].join('\t'));
  } else if (flag === '--by-package' && name) {
    const { bytes, byPackage, byFile } = await bundleComposition(`functions/${name}.ts`);
    console.log(`${name}: ${bytes} bytes`);
    for (const [owner, size] of sorted(byPackage)) console.log(`${String(size).padStart(8)}  ${owner}`);
    if (part) {
      console.log(`\nfiles matching ${part}:`);
      for (const [file, size] of sorted(byFile).filter(([file]) => file.includes(part)))
        console.log(`${String(size).padStart(8)}  ${file}`);
    }
  } else {
    const sizes = bundleBytes();
    for (const [fn, size] of Object.entries(sizes))
      console.log(`${fn.padEnd(20)} ${String(size).padStart(8)}  ${size <= GOAL_BYTES ? 'within' : 'over'}`);
    const within = Object.values(sizes).filter((size) => size <= GOAL_BYTES).length;
    console.log(`${within} of ${Object.keys(sizes).length} within ${GOAL_BYTES} bytes`);
  }
}
