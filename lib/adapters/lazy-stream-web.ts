/**
 * `node:stream/web`, as @middy/core sees it in the functions' bundles (deploy/esbuild-plugins.cjs
 * resolves middy's import here, and only middy's). middy imports Node's web streams when it loads,
 * for one `instanceof ReadableStream` in its response streaming (streamifyResponse), which no hallpass
 * function uses; loading them costs every cold start about 3 ms (README "Performance"). This
 * ReadableStream answers that `instanceof` with Node's own class, loaded only if the check ever runs.
 */
export const ReadableStream = {
  [Symbol.hasInstance]: (value: unknown): boolean => value instanceof globalThis.ReadableStream,
};
