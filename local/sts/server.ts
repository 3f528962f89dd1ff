// A local stand-in for AWS STS that speaks the real Query protocol over HTTP, so the unmodified AWS SDK
// and CLI can talk to it, and that refuses what AWS refuses (bad signatures, expired sessions,
// untrusted callers, out-of-range parameters).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback.ts';
import { DEFAULT_ROLES_FILE, type LocalStsConfig, loadConfig, resolveConfig } from './config.ts';
import { MESSAGES, StsError } from './errors.ts';
import { type Identity, KeyStore } from './keys.ts';
import {
  authorize,
  checkPolicyDocument,
  packedPolicySize,
  parseAssumeRole,
  sessionDuration,
} from './rules.ts';
import { authenticate, type SignedRequest } from './sigv4.ts';
import { assumeRoleXml, callerIdentityXml, errorXml } from './xml.ts';

export type { LocalStsConfig } from './config.ts';

export interface LocalStsOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  rolesFile?: string;
  /** Used instead of `rolesFile` when given. */
  config?: LocalStsConfig;
  /** The server's clock: session expiry and the 15-minute signature window are judged against it. */
  now?: () => Date;
  /** One line per request (action, access key id, outcome). Never receives secrets or tokens. */
  log?: (line: string) => void;
}

/** Failures on demand: an error for the next `times` matching calls (all, if omitted), or a delay. */
export type Fault =
  | {
      action?: 'AssumeRole' | 'GetCallerIdentity';
      code: 'Throttling' | 'AccessDenied' | 'RegionDisabledException';
      times?: number;
    }
  | { delayMs: number };

export interface LocalSts {
  url: string;
  port: number;
  close(): Promise<void>;
  issuedAccessKeyIds(): string[];
  setFault(fault: Fault | null): void;
}

const VERSION = '2011-06-15';

export async function startLocalSts(options: LocalStsOptions = {}): Promise<LocalSts> {
  const config = options.config
    ? resolveConfig(options.config)
    : await loadConfig(options.rolesFile ?? DEFAULT_ROLES_FILE);
  const now = options.now ?? (() => new Date());
  const keys = new KeyStore(config.callers);
  let fault: Fault | null = null;

  function assumeRole(params: URLSearchParams, caller: Identity, at: Date, requestId: string): string {
    const request = parseAssumeRole(params);
    const role = authorize(request, caller, config.roles);
    const duration = sessionDuration(request, role, caller);
    checkPolicyDocument(request.policy);
    const packed = packedPolicySize(request);
    const session = keys.issue(role, request.roleSessionName, duration, at);
    return assumeRoleXml(
      session,
      { sourceIdentity: request.sourceIdentity, packedPolicySize: packed },
      requestId,
    );
  }

  function injectFault(action: string, caller: Identity) {
    const current = fault;
    if (!current || 'delayMs' in current || (current.action && current.action !== action)) return;
    if (current.times !== undefined && --current.times <= 0) fault = null;
    const messages = {
      Throttling: MESSAGES.throttling,
      AccessDenied: `User: ${caller.arn} is not authorized to perform: sts:${action}`,
      RegionDisabledException:
        `STS is not activated in this region for account:${caller.account}. Your account administrator ` +
        'can activate STS in this region using the IAM Console.',
    };
    throw new StsError(current.code, messages[current.code]);
  }

  function answer(request: SignedRequest, params: URLSearchParams, at: Date, requestId: string): string {
    // Authentication comes first, as in AWS: an unsigned request learns nothing, not even which
    // actions exist.
    const caller = authenticate(request, at, (id) => keys.get(id));
    const action = params.get('Action') ?? '';
    const version = params.get('Version');
    if (!['AssumeRole', 'GetCallerIdentity'].includes(action) || (version !== null && version !== VERSION)) {
      throw new StsError(
        'InvalidAction',
        `Could not find operation ${action} for version ${version ?? VERSION}`,
      );
    }
    injectFault(action, caller);
    if (action === 'GetCallerIdentity') return callerIdentityXml(caller, requestId);
    return assumeRole(params, caller, at, requestId);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const current = fault;
    if (current && 'delayMs' in current) await new Promise((resolve) => setTimeout(resolve, current.delayMs));

    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const request: SignedRequest = {
      method: req.method ?? 'GET',
      path: queryAt < 0 ? url : url.slice(0, queryAt),
      query: queryAt < 0 ? '' : url.slice(queryAt + 1),
      headers: headerMap(req.rawHeaders),
      body,
    };
    // AWS takes parameters from the query string (GET) and from a form body (POST) alike.
    const params = new URLSearchParams(request.query);
    if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.append(name, value);
    }

    const requestId = randomUUID();
    const at = now();
    let status = 200;
    let outcome = 'OK';
    let xml: string;
    try {
      xml = answer(request, params, at, requestId);
    } catch (error) {
      const stsError = error instanceof StsError ? error : new StsError('InternalFailure', String(error));
      status = stsError.status;
      outcome = stsError.code;
      xml = errorXml(stsError, requestId);
    }
    // The SDKs correct their clock skew from this header, so it must be the server's clock, not the host's.
    res.writeHead(status, {
      'Content-Type': 'text/xml',
      'x-amzn-RequestId': requestId,
      Date: at.toUTCString(),
    });
    res.end(xml);
    const keyId = /Credential=([^/,\s]+)/.exec(request.headers.authorization ?? '')?.[1] ?? '-';
    options.log?.(`${request.method} ${params.get('Action') ?? '-'} ${keyId} -> ${status} ${outcome}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const listening = await listenOnLoopback(server, options.port, options.host);

  return {
    url: listening.url,
    port: listening.port,
    issuedAccessKeyIds: () => keys.issued(),
    setFault: (next) => {
      // A copy, because `times` counts down.
      fault = next && { ...next };
    },
    close: listening.close,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Lower-cased header names, repeated headers joined by commas (SigV4's canonical form). */
function headerMap(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}
