/**
 * `npm run build:cli`: bundles the CLI (cli/main.ts and everything it imports: zod, jose, the API's
 * schemas) into one dependency-free ES module, `cli/dist/hallpass.mjs`, the `bin` of the published
 * package (cli/package.json), with the licences of the bundled packages beside it. The bundle starts
 * without tsx or node_modules; names are kept (whitespace and syntax minified only), so that a stack
 * trace stays readable. `--outdir <dir>` writes elsewhere (the tests build into a temp directory).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const REPO = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = resolve(values.outdir ?? join(REPO, 'cli/dist'));
const outfile = join(outdir, 'hallpass.mjs');
mkdirSync(outdir, { recursive: true });

const result = await build({
  entryPoints: [join(REPO, 'cli/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  metafile: true,
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);

/** The packages the bundle holds, from esbuild's inputs (`node_modules/<name>/...`). */
const bundled = new Set<string>();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match?.[1]) bundled.add(match[1]);
}
const notices = [...bundled].sort().map((name) => {
  const dir = join(REPO, 'node_modules', name);
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${license}`;
  return `${name}@${version} (${license})\n\n${text}\n`;
});
writeFileSync(
  join(outdir, 'THIRD-PARTY-LICENSES.txt'),
  `hallpass.mjs bundles these packages:\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`,
);

const size = result.metafile.outputs[Object.keys(result.metafile.outputs)[0] as string]?.bytes ?? 0;
if (!existsSync(outfile)) throw new Error(`esbuild wrote no ${outfile}`);
console.log(`${outfile}: ${(size / 1024).toFixed(0)} KB, bundling ${[...bundled].sort().join(', ')}`);
