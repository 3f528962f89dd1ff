// esbuild plugins for the functions' bundles (serverless.yml `custom.esbuild.plugins`; the bench
// bundles its baseline with them too). Each leaves out or trims code no function runs, and
// test/deploy/bundles.test.ts holds each to what it claims (README "Performance" has each cut's
// bytes; bench/README.md "History" has the bytes per step).
const { readFileSync } = require('node:fs');
const { readFile } = require('node:fs/promises');
const path = require('node:path');
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

// The AWS SDK's error classes, for the operations the functions call. Each client registers a class
// for every error of every one of its operations when it loads (SSM: 141 of them, 70 KB of the
// Slack functions), which keeps them all in the bundle. Only the errors of the operations below stay
// registered: those each operation's model declares (its command's `@throws`, as the SDK generated
// them), the service's base exception, and the errors any AWS operation may answer. An error outside
// those, which the service would not send for these operations, would still arrive with its own
// `name`, message, fault and metadata, as the service's base exception (the SDK's path for an error
// code it does not know): hallpass reads SDK errors by `name`, and the one class it tests with
// instanceof (ConditionalCheckFailedException) is declared by the operations that raise it. The test
// fails when a bundle calls an operation missing here.
/** The operations the functions call, by client package. */
const OPERATIONS = {
  // DescribeEndpoints: the client names it for endpoint discovery, which none of its commands runs
  // (lib/adapters/no-endpoint-cache.ts); its class is imported all the same.
  '@aws-sdk/client-dynamodb': ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'DescribeEndpoints'],
  '@aws-sdk/client-eventbridge': ['PutEvents'],
  '@aws-sdk/client-iam': ['GetRolePolicy', 'PutRolePolicy'],
  '@aws-sdk/client-kms': ['GetPublicKey', 'Sign'],
  '@aws-sdk/client-ssm': ['GetParameter'],
  '@aws-sdk/client-sts': ['AssumeRole', 'AssumeRoleWithWebIdentity'],
};
/** Errors any operation of a service may answer, kept wherever the client models them. */
const ANY_OPERATION_ERRORS = [
  'AccessDeniedException',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailableException',
  'ThrottlingException',
  'ValidationException',
];

/** The errors kept registered for a client: its operations' declared errors and the common ones. */
function keptErrors(clientDir, operations) {
  const kept = new Set(ANY_OPERATION_ERRORS);
  for (const operation of operations) {
    const types = readFileSync(
      path.join(clientDir, 'dist-types', 'commands', `${operation}Command.d.ts`),
      'utf8',
    );
    const declared = [...types.matchAll(/@throws \{@link (\w+)\}/g)].map(([, name]) => name);
    // Every operation declares at least the service's base exception: none found means the SDK
    // no longer documents its errors there, and pruning would guess. Refuse instead.
    if (!declared.some((name) => name.endsWith('ServiceException')))
      throw new Error(
        `${clientDir}: ${operation}Command.d.ts declares no errors; update deploy/esbuild-plugins.cjs`,
      );
    for (const name of declared) kept.add(name);
  }
  return kept;
}

const REGISTRATION = /^(\w+)_registry\.registerError\((\w+)\$, (\w+)\);$/gm;

const onlyCalledOperationsErrors = {
  name: 'hallpass-only-called-operations-errors',
  setup(build) {
    const filter = new RegExp(
      `${SEP}node_modules${SEP}(@aws-sdk${SEP}client-[a-z0-9-]+)${SEP}dist-es${SEP}schemas${SEP}schemas_0\\.js$`,
    );
    build.onLoad({ filter }, async ({ path: file }) => {
      const clientDir = path.resolve(path.dirname(file), '..', '..');
      const client = `@aws-sdk/${path.basename(clientDir)}`;
      const operations = OPERATIONS[client];
      const source = await readFile(file, 'utf8');
      // A client not listed keeps every error: nothing is assumed about what it calls.
      if (!operations) return { contents: source, loader: 'js' };
      const kept = keptErrors(clientDir, operations);
      const contents = source.replace(REGISTRATION, (line, registry, _schema, type) =>
        registry === '_s' || kept.has(type) ? line : '',
      );
      return { contents, loader: 'js' };
    });
  },
};

// The clients' package.json, of which they read the version alone (for the User-Agent header):
// about 2 KB of each client's bundle otherwise.
const clientVersionOnly = {
  name: 'hallpass-client-version-only',
  setup(build) {
    const filter = new RegExp(`${SEP}node_modules${SEP}@aws-sdk${SEP}client-[a-z0-9-]+${SEP}package\\.json$`);
    build.onLoad({ filter }, async ({ path: file }) => {
      const { version } = JSON.parse(await readFile(file, 'utf8'));
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};

// middy's web streams, loaded when used: @middy/core imports `node:stream/web` at load for one
// `instanceof` in its response streaming, which no function uses, and loading Node's web streams
// costs every cold start about 3 ms. Its import, and only its, gets lib/adapters/lazy-stream-web.ts,
// whose ReadableStream answers that `instanceof` with Node's own class, loaded at the check.
const LAZY_STREAM_WEB = path.join(__dirname, '..', 'lib', 'adapters', 'lazy-stream-web.ts');
const middyWebStreamsWhenUsed = {
  name: 'hallpass-middy-web-streams-when-used',
  setup(build) {
    build.onResolve({ filter: /^node:stream\/web$/ }, ({ importer }) =>
      new RegExp(`${SEP}node_modules${SEP}@middy${SEP}core${SEP}`).test(importer)
        ? { path: LAZY_STREAM_WEB }
        : undefined,
    );
  },
};

// The packaged catalog only: a function's lib/deps.ts gets lib/adapters/packaged-catalog.ts (beside
// it) in place of catalog-file.ts. Both export loadCatalog; the bundles' reads only the JSON that packaging
// validated, by its SHA-256 (HALLPASS_CATALOG_SHA256), and refuses to start without it, so no bundle
// carries the catalog's schema and cross-field rules (about 11 KB each, compiled at every cold
// start). Tests and scripts, which run the sources, still validate a YAML catalog in full.
const packagedCatalogOnly = {
  name: 'hallpass-packaged-catalog-only',
  setup(build) {
    const deps = new RegExp(`${SEP}lib${SEP}deps\\.ts$`);
    const nodeModules = new RegExp(`${SEP}node_modules${SEP}`);
    build.onResolve({ filter: /[\\/]catalog-file\.ts$/ }, ({ importer }) =>
      deps.test(importer) && !nodeModules.test(importer)
        ? { path: path.join(path.dirname(importer), 'adapters', 'packaged-catalog.ts') }
        : undefined,
    );
  },
};

// The SDK's SHA-256 in JavaScript, left out: @smithy/core's Sha256Node falls back to it only when
// node:crypto cannot hash SHA-256, which no Lambda runtime's Node.js lacks. Sha256Node's import of it,
// and only that, gets lib/adapters/no-sha256-js.ts, which throws if it is ever constructed.
const NO_SHA256_JS = path.join(__dirname, '..', 'lib', 'adapters', 'no-sha256-js.ts');
const nativeSha256Only = {
  name: 'hallpass-native-sha256-only',
  setup(build) {
    const importer = new RegExp(
      `${SEP}node_modules${SEP}@smithy${SEP}core${SEP}dist-es${SEP}submodules${SEP}checksum${SEP}sha256${SEP}Sha256Node\\.js$`,
    );
    build.onResolve({ filter: /^\.\/Sha256Js$/ }, (args) =>
      importer.test(args.importer) ? { path: NO_SHA256_JS } : undefined,
    );
  },
};
// The STS client's multi-region signer, which signs with SigV4 and, for a region of `*`, SigV4a, for
// which hallpass installs no implementation (so the SDK's class refuses it too): the client's imports
// of it, and only those, get lib/adapters/sts-sigv4-only.ts, SigV4 that refuses a region of `*`.
const STS_SIGV4_ONLY = path.join(__dirname, '..', 'lib', 'adapters', 'sts-sigv4-only.ts');
const stsSigV4Only = {
  name: 'hallpass-sts-sigv4-only',
  setup(build) {
    const importer = new RegExp(`${SEP}node_modules${SEP}@aws-sdk${SEP}client-sts${SEP}`);
    build.onResolve({ filter: /^@aws-sdk\/signature-v4-multi-region$/ }, (args) =>
      importer.test(args.importer) ? { path: STS_SIGV4_ONLY } : undefined,
    );
  },
};
module.exports = Object.assign(
  [
    keepNamesWhereRead,
    onlyCalledOperationsErrors,
    clientVersionOnly,
    middyWebStreamsWhenUsed,
    packagedCatalogOnly,
    nativeSha256Only,
    stsSigV4Only,
  ],
  {
    KEEP_NAMES_IN,
    OPERATIONS,
    ANY_OPERATION_ERRORS,
  },
);
