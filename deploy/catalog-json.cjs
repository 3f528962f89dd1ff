// The catalog the functions read, for serverless.yml (`${file(...)}`): the YAML catalog
// (`${param:catalog}`), validated by lib/core/catalog.ts (bundled here from the same sources as the
// functions) and written as JSON under .hallpass/catalog/, packaged in its place. The functions read
// it with JSON.parse and bundle no YAML parser (120 KB of every bundle, README "Performance"); they
// are given its SHA-256 too (`sha256`, HALLPASS_CATALOG_SHA256), and a file with that hash is the
// catalog validated here: they check only the rules that depend on their settings again, instead of
// building and running the schema at every cold start. One place for package, deploy and
// serverless-offline alike: each resolves this variable.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { buildSync } = require('esbuild');
const { parse } = require('yaml');

// The service directory serverless runs in (not this file's: a mirror of the repository, as the CLI
// and browser tests run npm start in, links deploy/ to the original, and the functions read the
// JSON from their own working directory).
const ROOT = process.cwd();

function refuse(message) {
  const error = new Error(message);
  // Serverless prints a resolver's error with its stack: the message alone reads better.
  error.stack = message;
  throw error;
}

/**
 * lib/core/catalog.ts as a module of this process: bundled by esbuild (the functions' bundler) from
 * the service's sources, the same the functions are built from (they carry only its settings'
 * rules: lib/adapters/packaged-catalog.ts).
 */
function catalogCore() {
  const entry = path.join(ROOT, 'lib', 'core', 'catalog.ts');
  const [bundle] = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
  }).outputFiles;
  const module = { exports: {} };
  new Function('module', 'exports', 'require', bundle.text)(module, module.exports, require);
  return module.exports;
}

/**
 * Validates the catalog at `source` (relative to the service) and writes what the validation returned
 * (defaults filled in) as JSON; returns the JSON's relative path and SHA-256.
 */
function compile(source) {
  const full = path.resolve(ROOT, source);
  let document;
  try {
    document = parse(readFileSync(full, 'utf8'));
  } catch (error) {
    refuse(`invalid catalog: ${source}: ${error.message}`);
  }
  // Outside the try below: a failure to build lib/core/catalog.ts is not the catalog's.
  const { parseCatalog } = catalogCore();
  let catalog;
  try {
    // 3600, the longest HALLPASS_MAX_SESSION_SECONDS: each function checks its own setting at start.
    catalog = parseCatalog(document, { maxSessionSeconds: 3600 });
  } catch (error) {
    refuse(`${source}: ${error.message}`);
  }
  const text = `${JSON.stringify(catalog)}\n`;
  const sha256 = createHash('sha256').update(text).digest('hex');
  // Named by its content: two packagings (or npm start beside one) of different catalogs never write
  // the same file, so none rewrites what another's functions were given the hash of.
  const name = `${path.basename(full).replace(/\.ya?ml$/i, '')}-${sha256.slice(0, 16)}.json`;
  const relative = path.posix.join('.hallpass', 'catalog', name);
  const target = path.join(ROOT, relative);
  mkdirSync(path.dirname(target), { recursive: true });
  // Written aside, then renamed: a concurrent packaging never reads half a file.
  const partial = `${target}.${process.pid}`;
  writeFileSync(partial, text);
  renameSync(partial, target);
  return { path: relative, sha256 };
}

/** Each catalog is validated and written once per packaging, however many variables name it. */
const compiled = new Map();

module.exports = async ({ resolveVariable }) => {
  const source = await resolveVariable('param:catalog');
  if (!compiled.has(source)) compiled.set(source, compile(source));
  return compiled.get(source);
};
