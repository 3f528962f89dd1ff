/**
 * The layering that README's layout section promises, checked on the import graph of the source:
 * the core does no I/O, handlers reach adapters only through use cases and deps.ts, use cases do not
 * call each other, the CLI does not reach into the local stack, and nothing imports in a circle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '../..');
const SOURCE_DIRS = ['lib', 'functions', 'cli', 'local', 'scripts', 'bench'];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every file's imports: project files as repository paths, packages and node: modules as written. */
const graph = new Map<string, string[]>(
  SOURCE_DIRS.flatMap(sourceFiles).map((file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const imports = [...text.matchAll(IMPORT)].map(([, spec]) =>
      (spec as string).startsWith('.') ? normalize(join(dirname(file), spec as string)) : (spec as string),
    );
    return [file, imports];
  }),
);

const under = (prefix: string) => [...graph.keys()].filter((file) => file.startsWith(prefix));
const importsOf = (file: string) => graph.get(file) ?? [];

/** The arrows from the files under `prefix` to imports that `forbidden` names, as `file -> import`. */
const arrows = (prefix: string, forbidden: (spec: string) => boolean) =>
  under(prefix).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((spec) => `${file} -> ${spec}`),
  );

describe('the import graph', () => {
  it('reads the source (a broken pattern would make every rule below pass vacuously)', () => {
    expect(under('lib/core/').length).toBeGreaterThan(10);
    expect(importsOf('lib/use-cases/vend-credentials.ts')).toContain('lib/core/grant.ts');
    expect(importsOf('lib/deps.ts')).toContain('@aws-sdk/client-dynamodb');
  });

  it('has no arrow from lib/core to anything that does I/O', () => {
    // The core may use other core modules, the error classes, the event ids, zod and node:crypto's
    // ids and hashes.
    const allowed = (spec: string) =>
      spec.startsWith('lib/core/') ||
      ['lib/errors.ts', 'lib/audit-events.ts', 'lib/zod.ts', 'node:crypto'].includes(spec);
    expect(arrows('lib/core/', (spec) => !allowed(spec))).toEqual([]);
  });

  it('has no handler importing an adapter', () => {
    const adapter = (spec: string) => spec.startsWith('lib/adapters/') || spec === '@aws-sdk/client-dynamodb';
    expect(arrows('functions/', adapter)).toEqual([]);
  });

  it('has no use case importing another use case', () => {
    expect(arrows('lib/use-cases/', (spec) => spec.startsWith('lib/use-cases/'))).toEqual([]);
  });

  it('has no CLI module importing from the local stack or the tests', () => {
    expect(arrows('cli/', (spec) => spec.startsWith('local/') || spec.startsWith('test/'))).toEqual([]);
  });

  it('has no import circle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const spec of importsOf(file)) if (graph.has(spec)) visit(spec, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
