// esbuild plugins for the functions' bundles (serverless.yml `custom.esbuild.plugins`; the bench
// bundles its baseline with them too). test/deploy/bundles.test.ts holds each to what it claims
// (README "Performance" has the bytes).
const { readFile } = require('node:fs/promises');
const { transform } = require('esbuild');

const SEP = '[\\\\/]';

// keepNames, where a name is read. The bundles are minified without esbuild's `keepNames` (which
// wraps every class and function, about 25 KB of each bundle that calls AWS), so a class is renamed
// `Xe`. That is invisible wherever a name is a string, as in hallpass's errors (lib/errors.ts) and the
// AWS SDK's; it shows only where code reads a class's own name, and of the code the functions bundle
// only jose's errors do so for something that reaches a log (`this.name = this.constructor.name`:
// a cause must read `JWKSTimeout`, not `Xe`). These files, and only these, keep their names.
// The test lists every bundled file that reads a constructor's name, so a new one fails it until it
// is added here or shown never to reach a log or an answer.
/** Bundled files that name something after its class: paths under node_modules/. */
const KEEP_NAMES_IN = ['jose/dist/webapi/util/errors.js'];

const escaped = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('/', SEP);

const keepNamesWhereRead = {
  name: 'hallpass-keep-names-where-read',
  setup(build) {
    const filter = new RegExp(`${SEP}node_modules${SEP}(?:${KEEP_NAMES_IN.map(escaped).join('|')})$`);
    build.onLoad({ filter }, async ({ path: file }) => {
      const { code } = await transform(await readFile(file, 'utf8'), { loader: 'js', keepNames: true });
      return { contents: code, loader: 'js' };
    });
  },
};

module.exports = Object.assign([keepNamesWhereRead], { KEEP_NAMES_IN });
