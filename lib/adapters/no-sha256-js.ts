/**
 * The bundles' stand-in for the AWS SDK's pure-JavaScript SHA-256 (@smithy/core's Sha256Js, 3.3 KB
 * of every bundle that calls AWS). @smithy/core's Sha256Node uses it only when node:crypto cannot
 * make a SHA-256 hash, which no Node.js that Lambda runs is: deploy/esbuild-plugins.cjs gives this
 * file to Sha256Node's import alone, and test/deploy/bundles.test.ts checks that Sha256Node still
 * falls back to it only then. Should that ever happen, signing fails here, loudly, at the first call.
 */
export class Sha256Js {
  constructor() {
    throw new Error(
      "hallpass's bundles leave out the AWS SDK's JavaScript SHA-256 (lib/adapters/no-sha256-js.ts): this Node.js has no SHA-256 in node:crypto",
    );
  }
}
