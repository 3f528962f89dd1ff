// A local stand-in for AWS STS that speaks the real Query protocol over HTTP, so the unmodified AWS SDK
// and CLI can talk to it, and that refuses what AWS refuses (bad signatures, expired sessions,
// untrusted callers, out-of-range parameters).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback.ts';
import { DEFAULT_ROLES_FILE, type LocalStsConfig, loadConfig, resolveConfig } from './config.ts';
import { MESSAGES, StsError } from './errors.ts';
import { type Identity, KeyStore, type SessionRecord } from './keys.ts';
import { type IssuerKeysOptions, issuerKeys } from './oidc.ts';
import { explicitlyDenied, RolePolicyStore } from './policies.ts';
import {
  authorize,
  checkPolicyDocument,
  isChained,
  packedPolicySize,
  parseAssumeRole,
  sessionDuration,
} from './rules.ts';
import { authenticate, type SignedRequest } from './sigv4.ts';
import {
  authorizeWebIdentity,
  parseAssumeRoleWithWebIdentity,
  sessionClaims,
  verifyWebIdentity,
} from './web-identity.ts';
import { assumeRoleWithWebIdentityXml, assumeRoleXml, callerIdentityXml, errorXml } from './xml.ts';

export type { LocalStsConfig } from './config.ts';
export type { Identity, SessionRecord } from './keys.ts';
export { RolePolicyStore } from './policies.ts';

export interface LocalStsOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  rolesFile?: string;
  /** Used instead of `rolesFile` when given. */
  config?: LocalStsConfig;
  /**
   * Values for `${NAME}` in the roles file or `config` (e.g. HALLPASS_URL, known only at start).
   * Given, every reference must resolve; omitted, references stay unresolved and what uses them is
   * inert (an OIDC provider with an unresolved URL matches no token).
   */
  variables?: Record<string, string>;
  /** How the server fetches OIDC issuers' discovery documents and keys for AssumeRoleWithWebIdentity. */
  oidc?: IssuerKeysOptions;
  /** The server's clock: session expiry and the 15-minute signature window are judged against it. */
  now?: () => Date;
  /** One line per request (action, access key id, outcome). Never receives secrets or tokens. */
  log?: (line: string) => void;
}

/** Failures on demand: an error for the next `times` matching calls (all, if omitted), or a delay. */
export type Fault =
  | {
      action?: 'AssumeRole' | 'AssumeRoleWithWebIdentity' | 'GetCallerIdentity';
      code: 'Throttling' | 'AccessDenied' | 'RegionDisabledException';
      times?: number;
    }
  | { delayMs: number };

export interface LocalSts {
  url: string;
  port: number;
  close(): Promise<void>;
  issuedAccessKeyIds(): string[];
  /** What was recorded for a session this server issued (by either action); undefined for other keys. */
  session(accessKeyId: string): SessionRecord | undefined;
  setFault(fault: Fault | null): void;
  /** Who an access key speaks for (configured callers and issued sessions): for sibling local services. */
  identity(accessKeyId: string): Identity | undefined;
  /** The roles the server knows, by ARN. */
  roleArns(): string[];
  /**
   * The roles' inline policies (the local IAM writes them): an explicit Deny there stops a call made
   * with one of the role's sessions, as on AWS (GetCallerIdentity excepted: AWS never denies it).
   */
  policies: RolePolicyStore;
  /** The condition keys of a call made with this access key (its tags, SourceIdentity, issue time). */
  requestKeys(accessKeyId: string, at: Date): Record<string, string | undefined>;
}

const VERSION = '2011-06-15';
const ACTIONS = ['AssumeRole', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity'];
/** The one action AWS serves unsigned: the token is the caller's credential. */
const UNSIGNED_ACTION = 'AssumeRoleWithWebIdentity';

/** Who a fault's messages name: the signed caller, or for web identity only the role's account. */
interface Blamed {
  arn: string | undefined;
  account: string;
}

export async function startLocalSts(options: LocalStsOptions = {}): Promise<LocalSts> {
  const config = options.config
    ? resolveConfig(options.config, 'config', options.variables)
    : await loadConfig(options.rolesFile ?? DEFAULT_ROLES_FILE, options.variables);
  const now = options.now ?? (() => new Date());
  const keys = new KeyStore(config.callers);
  const issuers = issuerKeys(options.oidc);
  const policies = new RolePolicyStore();
  let fault: Fault | null = null;

  /** What IAM's conditions see of a caller: its session's tags, SourceIdentity and issue time. */
  function requestKeys(accessKeyId: string, at: Date): Record<string, string | undefined> {
    const session = keys.session(accessKeyId);
    const issued = keys.issueTime(accessKeyId);
    const apiTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      'aws:CurrentTime': apiTime(at),
      'aws:PrincipalArn': keys.get(accessKeyId)?.principalArn,
      'aws:SourceIdentity': session?.sourceIdentity,
      'aws:TokenIssueTime': issued && apiTime(issued),
      ...Object.fromEntries(
        Object.entries(session?.tags ?? {}).map(([key, value]) => [`aws:PrincipalTag/${key}`, value]),
      ),
    };
  }

  /** An explicit deny in the caller's role's inline policies (only sessions of a role have one). */
  function refuseIfDenied(caller: Identity, action: string, resource: string, at: Date) {
    const session = keys.session(caller.accessKeyId);
    if (!session) return;
    const context = { action: `sts:${action}`, resource, keys: requestKeys(caller.accessKeyId, at) };
    if (explicitlyDenied(policies.all(session.roleArn), context)) {
      throw new StsError(
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:${action} on resource: ${resource} with an explicit deny in an identity-based policy`,
      );
    }
  }

  function assumeRole(params: URLSearchParams, caller: Identity, at: Date, requestId: string): string {
    const request = parseAssumeRole(params);
    const role = authorize(request, caller, config.roles);
    const chained = isChained(caller);
    const duration = sessionDuration(request.durationSeconds, role, chained);
    checkPolicyDocument(request.policy);
    const packed = packedPolicySize(request);
    const session = keys.issue(role, request.roleSessionName, duration, at, {
      tags: Object.fromEntries(request.tags.map((tag) => [tag.key, tag.value])),
      transitiveTagKeys: request.transitiveTagKeys,
      sourceIdentity: request.sourceIdentity,
      chained,
      via: 'AssumeRole',
    });
    return assumeRoleXml(
      session,
      { sourceIdentity: request.sourceIdentity, packedPolicySize: packed },
      requestId,
    );
  }

  /**
   * AssumeRoleWithWebIdentity: the request on its own, the token (provider, signature, audience,
   * lifetime), the role's federated trust, then the session the token asks for. Never role
   * chaining, so the role's own maximum (up to 12 h) applies.
   */
  async function assumeRoleWithWebIdentity(params: URLSearchParams, at: Date, requestId: string) {
    const request = parseAssumeRoleWithWebIdentity(params);
    const identity = await verifyWebIdentity(request, config.oidcProviders, issuers, at);
    const role = authorizeWebIdentity(request, identity, config.roles);
    const claims = sessionClaims(identity.claims);
    const duration = sessionDuration(request.durationSeconds, role, false);
    checkPolicyDocument(request.policy);
    const packed = packedPolicySize({ policy: request.policy, tags: claims.tags });
    const session = keys.issue(role, request.roleSessionName, duration, at, {
      tags: Object.fromEntries(claims.tags.map((tag) => [tag.key, tag.value])),
      transitiveTagKeys: claims.transitiveTagKeys,
      sourceIdentity: claims.sourceIdentity,
      chained: false,
      via: 'AssumeRoleWithWebIdentity',
    });
    return assumeRoleWithWebIdentityXml(
      session,
      {
        subject: identity.subject,
        audience: identity.audience,
        provider: identity.issuer,
        sourceIdentity: claims.sourceIdentity,
        packedPolicySize: packed,
      },
      requestId,
    );
  }

  function injectFault(action: string, blamed: Blamed) {
    const current = fault;
    if (!current || 'delayMs' in current || (current.action && current.action !== action)) return;
    if (current.times !== undefined && --current.times <= 0) fault = null;
    const messages = {
      Throttling: MESSAGES.throttling,
      AccessDenied: blamed.arn
        ? `User: ${blamed.arn} is not authorized to perform: sts:${action}`
        : `Not authorized to perform sts:${action}`,
      RegionDisabledException:
        `STS is not activated in this region for account:${blamed.account}. Your account administrator ` +
        'can activate STS in this region using the IAM Console.',
    };
    throw new StsError(current.code, messages[current.code]);
  }

  async function answer(
    request: SignedRequest,
    params: URLSearchParams,
    at: Date,
    requestId: string,
  ): Promise<string> {
    const action = params.get('Action') ?? '';
    const version = params.get('Version');
    // Authentication comes first, as in AWS: an unsigned request learns nothing, not even which
    // actions exist. The exception is AssumeRoleWithWebIdentity, whose credential is the token; a
    // signed one is checked like any other signed request.
    const unsigned =
      !request.headers.authorization && action === UNSIGNED_ACTION && (version ?? VERSION) === VERSION;
    const caller = unsigned ? undefined : authenticate(request, at, (id) => keys.get(id));
    if (!ACTIONS.includes(action) || (version !== null && version !== VERSION)) {
      throw new StsError(
        'InvalidAction',
        `Could not find operation ${action} for version ${version ?? VERSION}`,
      );
    }
    if (action === UNSIGNED_ACTION) {
      injectFault(action, { arn: undefined, account: params.get('RoleArn')?.split(':')[4] ?? '' });
      return assumeRoleWithWebIdentity(params, at, requestId);
    }
    if (!caller) throw new StsError('MissingAuthenticationToken', MESSAGES.missingAuth);
    injectFault(action, caller);
    if (action === 'GetCallerIdentity') return callerIdentityXml(caller, requestId);
    refuseIfDenied(caller, action, params.get('RoleArn') ?? '*', at);
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
      xml = await answer(request, params, at, requestId);
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
    session: (accessKeyId) => keys.session(accessKeyId),
    setFault: (next) => {
      // A copy, because `times` counts down.
      fault = next && { ...next };
    },
    identity: (accessKeyId) => keys.get(accessKeyId),
    roleArns: () => config.roles.map((role) => role.arn),
    policies,
    requestKeys,
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
