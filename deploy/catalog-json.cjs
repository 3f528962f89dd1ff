// The catalog the functions read, for serverless.yml (`${file(...)}`): the YAML catalog
// (`${param:catalog}`) written as JSON under .hallpass/catalog/, packaged in its place. The functions
// then read it with JSON.parse and bundle no YAML parser (120 KB of every bundle, README
// "Performance"); they still validate it at each cold start (lib/core/catalog.ts), as
// `npm run package` and `npm start` validate the YAML before this runs. One place for package,
// deploy and serverless-offline alike: each resolves this variable.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const path = require('node:path');
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

/** Writes the catalog at `source` (relative to the service) as JSON; returns the JSON's relative path. */
function compile(source) {
  const full = path.resolve(ROOT, source);
  let document;
  try {
    document = parse(readFileSync(full, 'utf8'));
  } catch (error) {
    refuse(`invalid catalog: ${source}: ${error.message}`);
  }
  // One file per source: two packagings of different catalogs at once never share one.
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const name = `${path.basename(full).replace(/\.ya?ml$/i, '')}-${hash}.json`;
  const relative = path.posix.join('.hallpass', 'catalog', name);
  const target = path.join(ROOT, relative);
  mkdirSync(path.dirname(target), { recursive: true });
  // Written aside, then renamed: a concurrent packaging never reads half a file.
  const partial = `${target}.${process.pid}`;
  writeFileSync(partial, `${JSON.stringify(document)}\n`);
  renameSync(partial, target);
  return relative;
}

module.exports = async ({ resolveVariable }) => ({ path: compile(await resolveVariable('param:catalog')) });
