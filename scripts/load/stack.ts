/**
 * The load run's stack: the local stack (local/stack.ts) on loopback, with its own tables, and the
 * route handlers imported against it (a cold start), or, with --http, the API as serverless-offline
 * serves it (the deployed handlers behind an HTTP API emulation) against the same local services.
 */
import { spawn } from 'node:child_process';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ROUTE_NAMES, type RouteName } from '../../lib/http/routes.ts';
import { apiEvent, type Call, lambdaContext } from '../../local/api-gateway.ts';
import { signDevToken } from '../../local/issuer/keys.ts';
import { startLocalStack } from '../../local/stack.ts';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }>;

export interface LoadStack {
  /** One call, as the route's handler in process or over HTTP through serverless-offline. */
  dispatch(route: RouteName, call: Call): Promise<{ statusCode: number; body?: string }>;
  issuedAccessKeyIds(): string[];
  client: DynamoDBClient;
  tables: { audit: string; requests: string };
  token(sub: string, groups: string[], expiresIn?: number): Promise<string>;
  close(): Promise<void>;
}

/** The local stack, this process pointed at it, and the handlers of every route (or the API over HTTP). */
export async function startLoadStack(http: boolean): Promise<LoadStack> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Stage local's settings (config/local.yaml: a loopback issuer is allowed there alone); its tables
  // are this run's own, in the dynalite started here.
  const stage = 'local';
  const stack = await startLocalStack({ stage });
  const { issuerKey, urls } = stack;
  const sts = stack.local.sts;
  if (!sts || !issuerKey) throw new Error('the load run starts its own STS and issuer');
  Object.assign(process.env, stack.env, { HALLPASS_CATALOG: 'test/fixtures/catalog.yaml' });
  delete process.env.HALLPASS_JWKS_URI;

  const api = http ? await startApi(stage) : undefined;
  const handlers = {} as Record<RouteName, Handler>;
  if (!api) {
    for (const route of ROUTE_NAMES) {
      handlers[route] = (await import(`../../functions/${route}.ts`)).handler as Handler;
    }
  }
  return {
    dispatch: (route, call) => (api ? api.send(call) : handlers[route](apiEvent(call), lambdaContext())),
    issuedAccessKeyIds: () => sts.issuedAccessKeyIds(),
    client: stack.dynamodb,
    tables: stack.tables,
    token: (sub, groups, expiresIn = 3600) =>
      signDevToken(issuerKey, urls.issuer, {
        sub,
        groups,
        audience: stack.audience,
        expiresIn,
        name: `${sub} (load)`,
      }),
    close: async () => {
      await api?.close();
      await stack.stop();
    },
  };
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The API over HTTP: serverless-offline, as `npm start` runs it, with this process's environment
 * (its dynalite, local STS, issuer and tables, whose stage it shares).
 */
async function startApi(
  stage: string,
): Promise<{ send(call: Call): Promise<{ statusCode: number; body: string }>; close(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('node_modules/.bin/serverless', ['offline', 'start', '--stage', stage], {
    env: {
      ...process.env,
      PORT: String(port),
      HALLPASS_OFFLINE_LAMBDA_PORT: String(await freePort()),
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
    detached: true,
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serverless-offline exited (${child.exitCode})`);
    const up = await fetch(`${base}/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error('serverless-offline did not answer within 90 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    async send(call) {
      const method = call.method ?? (call.body !== undefined || call.rawBody !== undefined ? 'POST' : 'GET');
      const headers: Record<string, string> = { ...(call.headers ?? {}) };
      if (call.token) headers.authorization = `Bearer ${call.token}`;
      if (call.body !== undefined) headers['content-type'] ??= 'application/json';
      const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
      const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
      const response = await fetch(`${base}${call.path}${query}`, { method, headers, body });
      return { statusCode: response.status, body: await response.text() };
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-(child.pid as number), 'SIGTERM');
      } catch {}
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    },
  };
}
