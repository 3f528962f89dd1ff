/**
 * A local stand-in for the Slack Web API (`POST /api/<method>`): chat.postMessage, chat.update,
 * chat.postEphemeral, views.open and auth.test, answering as Slack does (HTTP 200 and `ok:false`
 * with Slack's error names, a bearer bot token required). It records every call for tests and the
 * `npm run slack` simulator (`GET /_calls`, `DELETE /_calls`), can be told to fail the next calls of a
 * method (`POST /_fail`), and prints what a person would see in Slack when asked to.
 *
 * `POST /hooks/...` stands in for the response_url of the payloads the simulator sends, so that an
 * app answering through it reaches this fake, never Slack.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback.ts';
import { type Answer, type Args, decodeJsonFields, METHODS, type Workspace } from './methods.ts';

export interface LocalSlackOptions {
  /** 0 or left out: a free port. */
  port?: number;
  host?: string;
  /** The only token the Web API accepts (`Authorization: Bearer <botToken>`). */
  botToken: string;
  /** The fake workspace's id; T0LOCAL by default. */
  teamId?: string;
  /**
   * Gets one line per message shown to someone: `#<channel> <text>`, `#<channel> (updated) <text>`,
   * `ephemeral to <user> in #<channel>: <text>`, `modal <callback_id> for <trigger_id>`; `npm start`
   * prefixes them with `[slack] `. Never gets the token.
   */
  print?: (line: string) => void;
}

/** One request to the Web API (or to a response_url, method `response_url`), in arrival order. */
export interface SlackCall {
  method: string;
  /** The arguments as Slack reads them (form fields and JSON alike), JSON-in-a-string fields decoded. */
  body: Args;
  /** ISO 8601. */
  at: string;
  /** What the fake answered: Slack's JSON, or `{status}` for an HTTP failure it was told to make. */
  response: Answer | { status: number };
}

/** The next `times` calls of `method` fail: with `{ok:false, error}`, or with the HTTP `status`. */
export type SlackFault = { method: string; times?: number } & (
  | { error: string; status?: undefined }
  | { status: number; error?: undefined; retryAfter?: number }
);

export interface LocalSlack {
  url: string;
  /** `url + '/api/'`: HALLPASS_SLACK_API_URL. */
  apiUrl: string;
  port: number;
  calls(): SlackCall[];
  clear(): void;
  fail(fault: SlackFault): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

class BadRequest extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Slack reads JSON bodies and form-encoded ones alike; anything else carries no arguments. */
function parseArgs(contentType: string | undefined, raw: string): Args | 'invalid_json' {
  if (raw === '') return {};
  if (contentType?.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? decodeJsonFields(parsed as Args)
        : 'invalid_json';
    } catch {
      return 'invalid_json';
    }
  }
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return decodeJsonFields(Object.fromEntries(new URLSearchParams(raw)));
  }
  return {};
}

function parseFault(raw: string): Required<Pick<SlackFault, 'method' | 'times'>> & SlackFault {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BadRequest('the body must be JSON: {method, times, error|status}');
  }
  const fault = value as Partial<Record<keyof SlackFault | 'retryAfter', unknown>>;
  const times = fault.times ?? 1;
  const ok =
    typeof fault.method === 'string' &&
    Number.isInteger(times) &&
    (times as number) > 0 &&
    (typeof fault.error === 'string') !== (typeof fault.status === 'number') &&
    (fault.status === undefined || (Number.isInteger(fault.status) && (fault.status as number) >= 400)) &&
    (fault.retryAfter === undefined || Number.isInteger(fault.retryAfter));
  if (!ok)
    throw new BadRequest(
      'expected {method, times?: positive integer, error: string} or {method, times?, status: >= 400, retryAfter?}',
    );
  return { ...(value as SlackFault), times: times as number };
}

const sameToken = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Starts the fake on loopback; see LocalSlackOptions. */
export async function startLocalSlack(options: LocalSlackOptions): Promise<LocalSlack> {
  const workspace: Workspace = {
    teamId: options.teamId ?? 'T0LOCAL',
    teamDomain: 'hallpass-local',
    botUserId: 'U0HALLPASS',
    botId: 'B0HALLPASS',
    appId: 'A0HALLPASS',
  };
  const calls: SlackCall[] = [];
  const faults: Array<Required<Pick<SlackFault, 'times'>> & SlackFault> = [];
  const messages = new Map<string, Map<string, Args>>();
  let sequence = 0;
  const context = {
    workspace,
    messages,
    nextTs: () => `${Math.floor(Date.now() / 1000)}.${String(++sequence % 1_000_000).padStart(6, '0')}`,
    ...(options.print ? { print: options.print } : {}),
  };

  const takeFault = (method: string) => {
    const at = faults.findIndex((fault) => fault.method === method);
    const fault = faults[at];
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times === 0) faults.splice(at, 1);
    return fault;
  };

  function callMethod(
    method: string,
    req: IncomingMessage,
    args: Args | 'invalid_json',
    res: ServerResponse,
  ) {
    const body = args === 'invalid_json' ? {} : args;
    const record = (response: SlackCall['response']) =>
      calls.push({ method, body, at: new Date().toISOString(), response });
    const answer = (response: Answer) => {
      record(response);
      res.writeHead(200, { 'Content-Type': JSON_TYPE }).end(JSON.stringify(response));
    };

    const fault = takeFault(method);
    if (fault?.status !== undefined) {
      record({ status: fault.status });
      const headers: Record<string, string> = { 'Content-Type': JSON_TYPE };
      if (fault.status === 429) headers['Retry-After'] = String(fault.retryAfter ?? 1);
      const error = fault.status === 429 ? 'ratelimited' : 'fatal_error';
      res.writeHead(fault.status, headers).end(JSON.stringify({ ok: false, error }));
      return;
    }
    if (fault?.error) return answer({ ok: false, error: fault.error });

    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !sameToken(bearer, options.botToken)) return answer({ ok: false, error: 'invalid_auth' });
    if (args === 'invalid_json') return answer({ ok: false, error: 'invalid_json' });
    const run = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!run) return answer({ ok: false, error: 'unknown_method' });
    answer(run(args, context));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://slack.local').pathname;
    const raw = await readBody(req);
    const json = (status: number, value?: unknown) =>
      value === undefined
        ? res.writeHead(status).end()
        : res.writeHead(status, { 'Content-Type': JSON_TYPE }).end(JSON.stringify(value));

    if (req.method === 'POST' && path.startsWith('/api/')) {
      return callMethod(path.slice('/api/'.length), req, parseArgs(req.headers['content-type'], raw), res);
    }
    if (req.method === 'POST' && path.startsWith('/hooks/')) {
      const args = parseArgs(req.headers['content-type'] ?? 'application/json', raw);
      const body = args === 'invalid_json' ? {} : args;
      calls.push({ method: 'response_url', body, at: new Date().toISOString(), response: { ok: true } });
      options.print?.(`response_url: ${typeof body.text === 'string' ? body.text : JSON.stringify(body)}`);
      return res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    }
    if (path === '/_calls' && req.method === 'GET') {
      const method = new URL(req.url ?? '/', 'http://slack.local').searchParams.get('method');
      return json(200, { calls: method ? calls.filter((call) => call.method === method) : calls });
    }
    if (path === '/_calls' && req.method === 'DELETE') {
      calls.length = 0;
      return json(204);
    }
    if (path === '/_fail' && req.method === 'POST') {
      faults.push(parseFault(raw));
      return json(204);
    }
    json(404, { ok: false, error: 'not_found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (error instanceof BadRequest && !res.headersSent) {
        res.writeHead(400, { 'Content-Type': JSON_TYPE }).end(JSON.stringify({ error: error.message }));
      } else res.destroy();
    });
  });
  const listening = await listenOnLoopback(server, options.port, options.host);

  return {
    url: listening.url,
    apiUrl: `${listening.url}/api/`,
    port: listening.port,
    calls: () => [...calls],
    clear: () => {
      calls.length = 0;
    },
    fail: (fault) => {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    close: listening.close,
  };
}
