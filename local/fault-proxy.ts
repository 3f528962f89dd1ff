/**
 * A fault-injecting HTTP proxy for the local stack: put it in front of dynalite (or the local STS) and
 * point the SDK at it (AWS_ENDPOINT_URL_DYNAMODB). Requests pass through unchanged until a rule
 * matches; a rule can answer with the service's own error shape (DynamoDB's JSON
 * `ProvisionedThroughputExceededException`, `ThrottlingException`, ...; STS's XML errors), delay the
 * exchange (before forwarding, or after the upstream has acted on it), reset the connection (before
 * forwarding, or after: the write landed but the client never hears so, the ambiguous case of real
 * networks), or never answer. Every exchange is recorded, so tests can count what reached the
 * service and what the client was told.
 *
 * Loopback only: it listens on 127.0.0.1 and forwards to the one target it was given.
 *
 *   tsx local/fault-proxy.ts --target http://127.0.0.1:3010 --port 3020 \
 *     --fault throttle --operation PutItem --rate 0.2
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** One request the proxy received, and what became of it. */
export interface Exchange {
  seq: number;
  method: string;
  path: string;
  /** DynamoDB: the X-Amz-Target operation (`PutItem`); STS: the `Action` parameter. */
  operation: string | null;
  /** DynamoDB: the request's `TableName`. */
  table: string | null;
  /** The request body as text (DynamoDB JSON, STS form encoding). */
  body: string;
  /** The rule that applied, by name, or null when it passed through. */
  fault: string | null;
  /** Whether the request reached the upstream service. */
  forwarded: boolean;
  /** What the client received: a status, or null when the connection was reset or left hanging. */
  status: number | null;
  /** The upstream's answer (also when the client never received it). */
  upstreamStatus: number | null;
  upstreamBody: string | null;
  ms: number;
}

export type FaultAction =
  /** Answer with this response instead of forwarding (the service is never reached). */
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body: string }
  /** 'before': wait, then forward. 'after': forward, wait, then answer. */
  | { kind: 'delay'; ms: number; when?: 'before' | 'after' }
  /** 'before': reset without forwarding. 'after': forward (the service acts), then reset. */
  | { kind: 'reset'; when?: 'before' | 'after' }
  /** Accept the request and never answer (until the client gives up or the proxy closes). */
  | { kind: 'hang' };

export interface FaultRule {
  /** Shown in the exchange log; defaults to the action's kind. */
  name?: string;
  /** Only these operations (`PutItem`, `UpdateItem`, `AssumeRole`, ...). */
  operation?: string | string[];
  /** Only requests on this table. */
  table?: string;
  /** Any other condition on the request (its body, its path). */
  match?: (exchange: Exchange) => boolean;
  /** Let the first `skip` matching requests through untouched. */
  skip?: number;
  /** Then affect this many matching requests (all of them when omitted). */
  times?: number;
  /** Affect a matching request with this probability (1 when omitted). */
  rate?: number;
  action: FaultAction;
}

export interface FaultProxy {
  url: string;
  port: number;
  /** Replaces the rules; the first rule that matches a request decides its fate. */
  setFaults(rules: FaultRule[]): void;
  /** Every exchange so far, oldest first. */
  exchanges(): Exchange[];
  /** Forgets the exchange log. */
  clearLog(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The service behind the proxy: http://127.0.0.1:<port>. */
  target: string;
  port?: number;
  /** A source of randomness for `rate` (tests pass a seeded one). */
  random?: () => number;
}

const DYNAMODB_ERROR_NAMESPACE: Record<string, string> = {
  ThrottlingException: 'com.amazon.coral.availability',
  RequestLimitExceeded: 'com.amazonaws.dynamodb.v20120810',
  ProvisionedThroughputExceededException: 'com.amazonaws.dynamodb.v20120810',
  InternalServerError: 'com.amazonaws.dynamodb.v20120810',
};

const DYNAMODB_ERROR_MESSAGE: Record<string, string> = {
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
  RequestLimitExceeded: 'Throughput exceeds the current throughput limit for your account.',
  ProvisionedThroughputExceededException:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  InternalServerError: 'Internal server error',
};

/** A DynamoDB error as the service sends it: JSON 1.0, `__type`, `x-amzn-ErrorType`, status 400 (500 for InternalServerError). */
export function dynamoError(type: string, message = DYNAMODB_ERROR_MESSAGE[type] ?? type): FaultAction {
  const namespace = DYNAMODB_ERROR_NAMESPACE[type] ?? 'com.amazonaws.dynamodb.v20120810';
  return {
    kind: 'respond',
    status: type === 'InternalServerError' ? 500 : 400,
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'x-amzn-ErrorType': `${type}:`,
      'x-amzn-RequestId': randomUUID().replaceAll('-', '').toUpperCase(),
    },
    body: JSON.stringify({ __type: `${namespace}#${type}`, message }),
  };
}

/** An STS error as the service sends it: the Query protocol's XML ErrorResponse. */
export function stsError(code: string, message: string, status = 400): FaultAction {
  const requestId = randomUUID();
  const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    kind: 'respond',
    status,
    headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId },
    body:
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function describeRequest(
  req: IncomingMessage,
  body: string,
): { operation: string | null; table: string | null } {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    let table: string | null = null;
    try {
      const parsed = JSON.parse(body) as { TableName?: unknown };
      if (typeof parsed.TableName === 'string') table = parsed.TableName;
    } catch {
      // Not JSON: no table.
    }
    return { operation: target.slice(target.indexOf('.') + 1), table };
  }
  const url = new URL(req.url ?? '/', 'http://proxy');
  const action = url.searchParams.get('Action') ?? new URLSearchParams(body).get('Action');
  return { operation: action, table: null };
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  applied: number;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new Error(`the fault proxy forwards to loopback addresses only, not ${target.hostname}`);
  }
  const random = options.random ?? Math.random;
  let rules: RuleState[] = [];
  const log: Exchange[] = [];
  const sockets = new Set<Socket>();
  let seq = 0;

  const pick = (exchange: Exchange): FaultRule | null => {
    for (const state of rules) {
      const { rule } = state;
      const operations = rule.operation === undefined ? null : [rule.operation].flat();
      if (operations && !operations.includes(exchange.operation ?? '')) continue;
      if (rule.table !== undefined && rule.table !== exchange.table) continue;
      if (rule.match && !rule.match(exchange)) continue;
      state.seen += 1;
      if (state.seen <= (rule.skip ?? 0)) return null;
      if (rule.times !== undefined && state.applied >= rule.times) continue;
      if (rule.rate !== undefined && random() >= rule.rate) return null;
      state.applied += 1;
      return rule;
    }
    return null;
  };

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>(
      (resolve, reject) => {
        const headers = { ...req.headers };
        // The SDK signs the Host header: it goes through as the client sent it.
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 502,
                headers: res.headers as Record<string, string | string[]>,
                body: Buffer.concat(chunks),
              }),
            );
            res.on('error', reject);
          },
        );
        upstream.on('error', reject);
        upstream.end(body);
      },
    );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const text = body.toString('utf8');
    const exchange: Exchange = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      ...describeRequest(req, text),
      body: text,
      fault: null,
      forwarded: false,
      status: null,
      upstreamStatus: null,
      upstreamBody: null,
      ms: 0,
    };
    log.push(exchange);
    const rule = pick(exchange);
    const action = rule?.action;
    if (rule) exchange.fault = rule.name ?? rule.action.kind;
    const finish = () => {
      exchange.ms = Date.now() - started;
    };

    if (action?.kind === 'respond') {
      res.writeHead(action.status, action.headers ?? {});
      res.end(action.body);
      exchange.status = action.status;
      return finish();
    }
    if (action?.kind === 'hang') return finish();
    if (action?.kind === 'reset' && action.when !== 'after') {
      req.socket.destroy();
      return finish();
    }
    if (action?.kind === 'delay' && action.when !== 'after') await sleep(action.ms);

    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      answer = await forward(req, body);
    } catch {
      // The service is down: say so as a gateway would.
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('upstream unavailable');
      exchange.status = 502;
      return finish();
    }
    exchange.forwarded = true;
    exchange.upstreamStatus = answer.status;
    exchange.upstreamBody = answer.body.toString('utf8');

    if (action?.kind === 'reset') {
      req.socket.destroy();
      return finish();
    }
    if (action?.kind === 'delay' && action.when === 'after') await sleep(action.ms);
    if (req.socket.destroyed) return finish();
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
    res.end(answer.body);
    exchange.status = answer.status;
    return finish();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setFaults: (next) => {
      rules = next.map((rule) => ({ rule, seen: 0, applied: 0 }));
    },
    exchanges: () => [...log],
    clearLog: () => {
      log.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

const FAULTS: Record<string, () => FaultAction> = {
  throttle: () => dynamoError('ThrottlingException'),
  'provisioned-throughput': () => dynamoError('ProvisionedThroughputExceededException'),
  'internal-error': () => dynamoError('InternalServerError'),
  reset: () => ({ kind: 'reset' }),
  'reset-after': () => ({ kind: 'reset', when: 'after' }),
  delay: () => ({ kind: 'delay', ms: 5000 }),
  hang: () => ({ kind: 'hang' }),
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      port: { type: 'string', default: '0' },
      fault: { type: 'string' },
      operation: { type: 'string', multiple: true },
      table: { type: 'string' },
      rate: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.target) {
    console.log(
      `usage: tsx local/fault-proxy.ts --target http://127.0.0.1:<port> [--port <port>]\n` +
        `         [--fault ${Object.keys(FAULTS).join('|')}] [--operation PutItem ...] [--table <name>] [--rate 0..1]`,
    );
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const proxy = await startFaultProxy({ target: values.target, port: Number(values.port) });
  if (values.fault) {
    const make = FAULTS[values.fault];
    if (!make) throw new Error(`unknown fault '${values.fault}'`);
    proxy.setFaults([
      {
        name: values.fault,
        action: make(),
        ...(values.operation ? { operation: values.operation } : {}),
        ...(values.table ? { table: values.table } : {}),
        ...(values.rate ? { rate: Number(values.rate) } : {}),
      },
    ]);
  }
  console.log(`fault proxy ${proxy.url} -> ${values.target}${values.fault ? ` (${values.fault})` : ''}`);
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
