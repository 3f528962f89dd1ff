/**
 * The hardening suite's harness: the test file's own local STS (in process, so every key it issued
 * is known), a fault proxy in front of it (its answers carry the secrets that must never leak) and
 * one in front of dynalite (faults, and a count of every DynamoDB call), a local federation endpoint
 * for the console sign-in with a fault proxy in front of it too (its answers carry SigninTokens),
 * isolated tables, the route handlers imported fresh against that wiring, a ledger of what callers
 * were given, and the invariant checker over all of it. Call `startHarness()` in `beforeAll`, and
 * `expectInvariants()` in `afterEach`.
 *
 * The federation endpoint proves credentials by calling the local STS directly, not through the
 * STS fault proxy: that proxy stands for hallpass's own path to STS, so its exchanges are exactly
 * hallpass's STS calls (the "a refusal calls no STS" checks count them, and its STS faults hit
 * hallpass, not AWS's own sign-in service). What the invariants need from the sign-in is on the
 * federation proxy: every SigninToken the endpoint issued, including one hallpass never passed on.
 */
import { afterAll, expect, inject, vi } from 'vitest';
import { NOT_FOUND, ROUTES, type RouteName, type RouteSpec } from '../../lib/http/routes.ts';
import { type FaultProxy, startFaultProxy } from '../../local/fault-proxy.ts';
import { startLocalFederation } from '../../local/federation/server.ts';
import { checkInvariants, type InvariantReport, Ledger, tableSnapshot } from '../../local/invariants.ts';
import type { LocalSts } from '../../local/sts/server.ts';
import { type Answer, type Call, invoke } from './api.ts';
import { useLocalSts } from './local-sts.ts';
import { dynamodb, useIsolatedTables } from './tables.ts';

/** The routes of the table (lib/http/routes.ts) that the hardening suite drives. */
const COVERED = [
  'health',
  'openapi',
  'entitlements',
  'credentials',
  'console',
  'oidc-configuration',
  'oidc-jwks',
  'requests-create',
  'requests-list',
  'requests-get',
  'requests-approve',
  'requests-deny',
  'requests-cancel',
  'sessions-list',
  'sessions-get',
  'sessions-review',
  'sessions-export',
  'events-list',
] as const satisfies readonly RouteName[];

export const HANDLERS = [...COVERED, 'not-found'] as const;
export type HandlerName = (typeof HANDLERS)[number];
export type Handler = Parameters<typeof invoke>[0];

const routeOf = (spec: RouteSpec) => ({
  method: spec.method,
  path: spec.path,
  auth: spec.auth,
  body: spec.body !== undefined,
});

/**
 * Each route's method and path as API Gateway routes it (`{id}` filled in by the caller), from the
 * table; the catch-all is given a path that no route matches.
 */
export const ROUTE: Record<HandlerName, { method: string; path: string; auth: boolean; body: boolean }> = {
  ...(Object.fromEntries(COVERED.map((name) => [name, routeOf(ROUTES[name])])) as Record<
    (typeof COVERED)[number],
    ReturnType<typeof routeOf>
  >),
  'not-found': { ...routeOf(NOT_FOUND), path: '/v1/nothing-here' },
};

/**
 * A call to a route as API Gateway would route it: its method, and its path with `{id}` filled in
 * (and given as the path parameter) for the routes that have one.
 */
export function routeCall(name: HandlerName, id?: string): Call {
  const { method, path } = ROUTE[name];
  if (!path.includes('{id}')) return { method, path };
  if (id === undefined) throw new Error(`${method} ${path} needs an id`);
  return { method, path: path.replace('{id}', id), pathParameters: { id } };
}

export interface Harness {
  sts: LocalSts;
  /** In front of the local STS: AWS_ENDPOINT_URL_STS points here. */
  stsProxy: FaultProxy;
  /** In front of dynalite: AWS_ENDPOINT_URL_DYNAMODB points here. */
  dynamo: FaultProxy;
  /** In front of the local federation endpoint: HALLPASS_FEDERATION_URL points here. */
  federation: FaultProxy;
  /** HALLPASS_FEDERATION_URL as the baseline sets it (through `federation`). */
  federationUrl: string;
  tables: { audit: string; requests: string };
  ledger: Ledger;
  handlers: Record<HandlerName, Handler>;
  /** Invokes a route handler as API Gateway would, recording what the caller was given. */
  call(name: HandlerName, call: Call): Promise<Answer>;
  /** Re-imports every handler (a cold start) after applying `env`; `restore()` undoes it. */
  coldStart(env?: Record<string, string | undefined>): Promise<void>;
  restore(): Promise<void>;
  invariants(): Promise<InvariantReport>;
  /** Both tables' contents (binary attributes included), read directly from dynalite. */
  snapshot(): Promise<string>;
}

export interface HarnessOptions {
  /** Also print captured log lines (vitest shows them for failing tests); default true. */
  echoLogs?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ledger = new Ledger();
  const original = { log: console.log, warn: console.warn, error: console.error };
  for (const stream of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, stream).mockImplementation((...args: unknown[]) => {
      ledger.logs.push(args.map(String).join(' '));
      if (options.echoLogs ?? true) original[stream](...args);
    });
  }
  const sts = await useLocalSts();
  const stsProxy = await startFaultProxy({ target: sts.url });
  const dynamo = await startFaultProxy({ target: inject('stack').dynamodb });
  const signIn = await startLocalFederation({ stsUrl: sts.url, session: (id) => sts.session(id) });
  const federation = await startFaultProxy({ target: new URL(signIn.url).origin });
  const federationUrl = `${federation.url}${new URL(signIn.url).pathname}`;
  const tables = await useIsolatedTables();
  const baseline: Record<string, string | undefined> = {
    AWS_ENDPOINT_URL_STS: stsProxy.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    HALLPASS_AUDIT_TABLE: tables.audit,
    HALLPASS_REQUESTS_TABLE: tables.requests,
    HALLPASS_ISSUER: inject('stack').issuer,
    HALLPASS_JWKS_URI: undefined,
    // The test stack's own endpoint would refuse this file's STS's credentials.
    HALLPASS_FEDERATION_URL: federationUrl,
  };
  afterAll(async () => {
    await Promise.all([stsProxy.close(), dynamo.close(), federation.close()]);
    await signIn.close();
    vi.restoreAllMocks();
  });

  const handlers = {} as Record<HandlerName, Handler>;
  const coldStart = async (env: Record<string, string | undefined> = {}) => {
    for (const [name, value] of Object.entries({ ...baseline, ...env })) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    vi.resetModules();
    for (const name of HANDLERS) {
      handlers[name] = (await import(`../../functions/${name}.ts`)).handler as Handler;
    }
  };
  await coldStart();

  return {
    sts,
    stsProxy,
    dynamo,
    federation,
    federationUrl,
    tables,
    ledger,
    handlers,
    coldStart,
    restore: () => coldStart(),
    snapshot: () => tableSnapshot(dynamodb(), tables),
    call: async (name, call) => {
      if (call.token) ledger.token(call.token);
      const answer = await invoke(handlers[name], call);
      ledger.observe(answer.status, answer.raw);
      return answer;
    },
    invariants: () => {
      for (const exchange of stsProxy.exchanges()) {
        if (exchange.upstreamBody?.includes('<SecretAccessKey>')) ledger.stsAnswer(exchange.upstreamBody);
        if (exchange.operation === 'AssumeRoleWithWebIdentity') ledger.stsRequest(exchange.body);
      }
      for (const exchange of federation.exchanges()) {
        if (exchange.upstreamBody?.includes('SigninToken')) ledger.federationAnswer(exchange.upstreamBody);
      }
      return checkInvariants({
        client: dynamodb(),
        auditTable: tables.audit,
        requestsTable: tables.requests,
        issued: sts.issuedAccessKeyIds(),
        ledger,
      });
    },
  };
}

/** The invariant checker as an assertion, for `afterEach`. */
export async function expectInvariants(harness: Harness | undefined): Promise<void> {
  if (!harness) return;
  const report = await harness.invariants();
  expect(report.violations, 'SECURITY.md invariants').toEqual([]);
}

/** The log lines written since `from`, parsed (non-JSON lines are skipped). */
export function logLines(harness: Harness, from = 0): Array<Record<string, unknown>> {
  return harness.ledger.logs.slice(from).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
