/**
 * The hallpass API over HTTP, checked both ways with the API's own zod schemas (lib/schemas.ts):
 * bodies before they are sent (so that a bad flag is named locally), responses before they are used.
 * API errors keep their status, code, message and request id.
 */
import {
  ApproveBody,
  ConsoleRequest,
  ConsoleResponse,
  CreateRequestBody,
  DenyBody,
  EntitlementList,
  ErrorResponse,
  Request,
  RequestList,
  ReviewBody,
  RevocationResponse,
  RevocationsBody,
  RevokeBody,
  Session,
  SessionList,
  VendRequest,
  VendResponse,
} from '../lib/schemas.ts';
import * as z from '../lib/zod.ts';
import type { TokenSource } from './auth.ts';
import { ApiError, CliError, UsageError } from './errors.ts';
import { reason } from './oidc.ts';

export const CLI_VERSION = '0.1.0';

export type Entitlement = z.infer<typeof EntitlementList>['items'][number];
/** The caller as the API authenticated them (GET /entitlements; absent from older APIs). */
export type Caller = NonNullable<z.infer<typeof EntitlementList>['caller']>;
export type AccessRequest = z.infer<typeof Request>;
export type RequestPage = z.infer<typeof RequestList>;
export type SessionRecord = z.infer<typeof Session>;
export type Vended = z.infer<typeof VendResponse>;
export type ConsoleSignIn = z.infer<typeof ConsoleResponse>;

export type SessionPage = z.infer<typeof SessionList>;

export interface SessionFilters {
  principal?: string;
  entitlementId?: string;
  roleArn?: string;
  accessKeyId?: string;
  requestId?: string;
  breakGlass?: boolean;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/** Flag names for body fields, so that local validation errors name what the user typed. */
export type FlagNames = Record<string, string>;

/** Validates an outgoing body with the API's schema; a problem names the flag, not the field. */
export function checkBody<S extends z.ZodMiniType>(
  schema: S,
  body: unknown,
  flags: FlagNames = {},
): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data as z.infer<S>;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const flag = flags[path] ?? flags[String(issue.path[0])] ?? path;
    return `${flag}: ${issue.message}`;
  });
  throw new UsageError(problems.join('; '));
}

interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenSource,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private async send(method: string, path: string, token: string, options: CallOptions): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${token}`,
      'user-agent': `hallpass-cli/${CLI_VERSION}`,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new CliError(
        `cannot reach the hallpass API at ${this.baseUrl}: ${reason(error)}`,
        'check the URL (`hallpass configure`, or HALLPASS_URL); locally, is `npm start` running?',
      );
    }
  }

  async call<S extends z.ZodMiniType>(
    method: string,
    path: string,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.infer<S>> {
    let token = await this.tokens.get();
    let response = await this.send(method, path, token, options);
    if (response.status === 401) {
      const fresh = await this.tokens.afterRejection(token);
      if (fresh) {
        token = fresh;
        response = await this.send(method, path, token, options);
      }
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`${method} ${path} answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) throw toApiError(response, body);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(
        `unexpected response from ${method} ${path}: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid'}`,
        'the API and this CLI may be of different versions',
      );
    }
    return parsed.data as z.infer<S>;
  }

  entitlements() {
    return this.call('GET', '/entitlements', EntitlementList);
  }

  vend(body: unknown, flags?: FlagNames) {
    return this.call('POST', '/credentials', VendResponse, { body: checkBody(VendRequest, body, flags) });
  }

  /** A session and its console sign-in URL: a bearer secret, which the caller must not store. */
  console(body: unknown, flags?: FlagNames) {
    return this.call('POST', '/console', ConsoleResponse, { body: checkBody(ConsoleRequest, body, flags) });
  }

  createRequest(body: unknown, flags?: FlagNames) {
    return this.call('POST', '/requests', Request, { body: checkBody(CreateRequestBody, body, flags) });
  }

  getRequest(id: string) {
    return this.call('GET', `/requests/${encodeURIComponent(id)}`, Request);
  }

  listRequests(query: { view?: 'mine' | 'approvable'; status?: string; limit?: number; cursor?: string }) {
    return this.call('GET', '/requests', RequestList, { query });
  }

  approve(id: string, comment: string | undefined) {
    const body = checkBody(ApproveBody, comment === undefined ? {} : { comment }, { comment: '--comment' });
    return this.call('POST', `/requests/${encodeURIComponent(id)}/approve`, Request, { body });
  }

  deny(id: string, reason: string | undefined) {
    const body = checkBody(DenyBody, { reason }, { reason: '--reason' });
    return this.call('POST', `/requests/${encodeURIComponent(id)}/deny`, Request, { body });
  }

  cancel(id: string) {
    return this.call('POST', `/requests/${encodeURIComponent(id)}/cancel`, Request, { body: {} });
  }

  listSessions(filters: SessionFilters) {
    return this.call('GET', '/sessions', SessionList, { query: { ...filters } });
  }

  getSession(id: string) {
    return this.call('GET', `/sessions/${encodeURIComponent(id)}`, Session);
  }

  review(id: string, status: 'justified' | 'unjustified', comment: string | undefined) {
    const body = checkBody(ReviewBody, { status, comment }, { comment: '--comment' });
    return this.call('POST', `/sessions/${encodeURIComponent(id)}/review`, Session, { body });
  }

  revokeSession(id: string, reason: string | undefined) {
    const body = checkBody(RevokeBody, { reason }, { reason: '--reason' });
    return this.call('POST', `/sessions/${encodeURIComponent(id)}/revoke`, RevocationResponse, { body });
  }

  revokeSessions(body: { principal?: string; entitlementId?: string; reason: string | undefined }) {
    const checked = checkBody(RevocationsBody, body, {
      reason: '--reason',
      principal: '--principal',
      entitlementId: '--entitlement',
    });
    return this.call('POST', '/revocations', RevocationResponse, { body: checked });
  }
}

/** The API's error body with any code: one this CLI does not know yet (a newer API's) shows as it came. */
const AnyErrorResponse = z.object({ error: z.extend(ErrorResponse.shape.error, { code: z.string() }) });

function toApiError(response: Response, body: unknown): ApiError {
  const parsed = AnyErrorResponse.safeParse(body);
  const requestId = response.headers.get('x-request-id') ?? undefined;
  if (!parsed.success)
    return new ApiError(response.status, 'http_error', `the API answered HTTP ${response.status}`, requestId);
  const { code, message, details } = parsed.data.error;
  let hint: string | undefined;
  if (response.status === 401) hint = 'run `hallpass login` (or check HALLPASS_TOKEN)';
  if (response.status === 503) {
    const after = response.headers.get('retry-after');
    hint = `a service behind the API is unavailable: try again${after ? ` in ${after} s` : ' shortly'}`;
  }
  if (response.status === 429) hint = 'slow down and try again';
  return new ApiError(
    response.status,
    code,
    message,
    parsed.data.error.requestId ?? requestId,
    details,
    hint,
  );
}
