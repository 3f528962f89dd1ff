/**
 * Error names in logs and audit records survive minification (issue 19): the bundles are minified,
 * and a name taken from the class (`new.target.name`) printed `"error":"Lt"`. Each class names
 * itself, so the names hold whatever the bundler does with class names.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as errors from '../../lib/errors.ts';
import { describeError } from '../../lib/log.ts';

type Module = Record<string, unknown> & { describeError: typeof describeError };

/** lib/errors.ts and describeError, bundled minified without keepNames, as a module. */
async function minified(): Promise<Module> {
  const result = await build({
    stdin: {
      contents: "export * from './lib/errors.ts'; export { describeError } from './lib/log.ts';",
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    keepNames: false,
    write: false,
  });
  const code = result.outputFiles[0]?.text ?? '';
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Module;
}

const ERROR_CLASSES = Object.entries(errors).filter(
  ([, value]) => typeof value === 'function' && value.prototype instanceof Error,
) as Array<[string, new (...args: never[]) => Error]>;

/** An instance of any of the classes (UpstreamUnavailableError takes the upstream first). */
const instance = (name: string, type: new (...args: never[]) => Error): Error =>
  name === 'UpstreamUnavailableError'
    ? new (type as unknown as new (u: string, m: string) => Error)('sts', 'down')
    : new (type as unknown as new (m: string) => Error)('message');

describe('error names', () => {
  it('covers every error class', () => {
    expect(ERROR_CLASSES.length).toBeGreaterThanOrEqual(12);
  });

  it.each(ERROR_CLASSES)('%s is named after itself', (name, type) => {
    expect(instance(name, type).name).toBe(name);
  });

  it('keep their names in a minified bundle, in describeError and as causes', async () => {
    const bundle = await minified();
    for (const [name] of ERROR_CLASSES) {
      const type = bundle[name] as new (...args: never[]) => Error;
      const error = instance(name, type);
      expect(bundle.describeError(error)).toMatchObject({ error: name });
      const wrapped = new Error('outer', { cause: error });
      expect(bundle.describeError(wrapped).cause).toMatch(new RegExp(`^${name}: `));
    }
  });

  it("adds a library error's own code, which minification leaves alone (jose names its errors after their class)", () => {
    // What a minified jose JWKSTimeout looks like: a mangled class name, and its code.
    class Xe extends Error {
      readonly code = 'ERR_JWKS_TIMEOUT';
      constructor(message: string) {
        super(message);
        this.name = this.constructor.name;
      }
    }
    const timeout = new Xe('request timed out');
    const error = new errors.UpstreamUnavailableError('jwks', 'the JWKS is unreachable', { cause: timeout });

    expect(describeError(error)).toEqual({
      error: 'UpstreamUnavailableError',
      message: 'the JWKS is unreachable',
      cause: 'Xe (ERR_JWKS_TIMEOUT): request timed out',
    });
    expect(describeError(timeout)).toMatchObject({ code: 'ERR_JWKS_TIMEOUT' });
  });
});
