/**
 * `npx tsx bench/bundles.ts`: each function's JavaScript as `npm run package` left it in
 * .serverless/ (what Lambda loads; run `npm run package` first), against the 300 KB goal.
 * `npx tsx bench/bundles.ts --by-package <function> [<path part>]`: what one function's bundle is
 * made of, by package (and by file for the files whose path holds <path part>), from the metafile of
 * a build with serverless.yml's own esbuild settings: where to look before cutting.
 */
import { build } from 'esbuild';
import { bundleBytes, packagingBuildOptions } from './cold-start.ts';

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

const sorted = (sizes: Record<string, number>) => Object.entries(sizes).sort(([, a], [, b]) => b - a);

if (import.meta.url === `file://${process.argv[1]}`) {
  const [flag, name, part] = process.argv.slice(2);
  if (flag === '--by-package' && name) {
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
