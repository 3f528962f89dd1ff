/**
 * serverless.yml routes exactly the table of routes (lib/http/routes.ts): each of its `httpApi`
 * events is a route of the table, served by the function file the table names, and the `"*"`
 * catch-all is the not-found handler. Every file in functions/ is deployed, and the only ones with
 * no route are those serverless.yml runs on other events (stream, schedule).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { NOT_FOUND, ROUTE_NAMES, ROUTES } from '../../lib/http/routes.ts';

interface FunctionDef {
  handler: string;
  events?: Array<Record<string, unknown>>;
}

/**
 * serverless.yml as data. `${...}` variables stay strings; CloudFormation tags (`!Ref`, `!GetAtt`)
 * are unknown to a plain YAML parser, which warns and keeps their values: only errors matter here.
 */
function serverlessFunctions(): Record<string, FunctionDef> {
  const document = parseDocument(readFileSync('serverless.yml', 'utf8'));
  expect(document.errors).toEqual([]);
  return (document.toJS() as { functions: Record<string, FunctionDef> }).functions;
}

const functions = serverlessFunctions();

/** The file under functions/ that a `handler: functions/<file>.handler` setting names. */
const fileOf = (fn: FunctionDef) => fn.handler.replace(/^functions\/(.+)\.handler$/, '$1');

/** Every `httpApi` event of serverless.yml as `METHOD path` (or `*`), with the file that serves it. */
const routed = Object.values(functions).flatMap((fn) =>
  (fn.events ?? [])
    .filter((event) => 'httpApi' in event)
    .map((event) => {
      const api = event.httpApi as '*' | { method: string; path: string };
      return { route: api === '*' ? '*' : `${api.method} ${api.path}`, file: fileOf(fn) };
    }),
);

describe('serverless.yml and the table of routes', () => {
  it('routes exactly the routes of the table, and the catch-all', () => {
    const table = ROUTE_NAMES.map((name) => `${ROUTES[name].method} ${ROUTES[name].path}`);
    expect(routed.map((r) => r.route).sort()).toEqual([...table, NOT_FOUND.path].sort());
  });

  it("serves each route by the function file the table names (functions/<route's key>.ts)", () => {
    const expected = [
      ...ROUTE_NAMES.map((name) => ({ route: `${ROUTES[name].method} ${ROUTES[name].path}`, file: name })),
      { route: NOT_FOUND.path, file: 'not-found' },
    ];
    const byRoute = (a: { route: string }, b: { route: string }) => a.route.localeCompare(b.route);
    expect([...routed].sort(byRoute)).toEqual(expected.sort(byRoute));
  });

  it('names a handler file that exists for every function', () => {
    const files = readdirSync('functions').map((file) => basename(file, '.ts'));
    for (const fn of Object.values(functions)) {
      expect(fn.handler).toMatch(/^functions\/[a-z-]+\.handler$/);
      expect(files).toContain(fileOf(fn));
    }
  });

  it('deploys every file in functions/, and only those without a route run on other events', () => {
    const files = readdirSync('functions')
      .filter((file) => file.endsWith('.ts'))
      .map((file) => basename(file, '.ts'));
    const deployed = Object.values(functions).map(fileOf);
    expect([...files].sort()).toEqual([...deployed].sort());

    // Each file is a route of the table, the catch-all, or runs on another event (stream, schedule).
    const http = new Set(routed.map((r) => r.file));
    expect(files.filter((file) => http.has(file)).sort()).toEqual([...ROUTE_NAMES, 'not-found'].sort());
    for (const fn of Object.values(functions).filter((f) => !http.has(fileOf(f)))) {
      expect(fn.events?.length, `${fn.handler} runs on some event`).toBeGreaterThan(0);
    }
  });
});
