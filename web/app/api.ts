/**
 * The hallpass API on this origin (/v1), with the bearer token. Errors are API.md's JSON errors as
 * ApiError (status, code, message, field details); a 401 sends the person to sign in again.
 */
import { signInAgain, token } from './auth.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Array<{ path: string; message: string }> = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message of a field's validation error, if the API named that field. */
  at(field: string): string | undefined {
    return this.details.find((d) => d.path === field || d.path.startsWith(`${field}.`))?.message;
  }
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const answer = await fetch(`/v1${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token() ?? ''}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: 'no-store',
  });
  if (answer.status === 401) {
    await signInAgain();
    throw new ApiError(401, 'unauthenticated', 'Your sign-in expired: signing in again.');
  }
  const text = await answer.text();
  const json = text ? JSON.parse(text) : {};
  if (!answer.ok) {
    const error = json?.error ?? {};
    throw new ApiError(
      answer.status,
      error.code ?? 'internal',
      error.message ?? `The API answered ${answer.status}.`,
      error.details ?? [],
      error.requestId,
    );
  }
  return json as T;
}

/** A query string from the set values of `params`. */
export const query = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};

export interface Person {
  sub: string;
  name: string;
}

export interface Entitlement {
  id: string;
  description: string;
  roleArn: string;
  issuance: 'assume-role' | 'web-identity';
  maxDurationSeconds: number;
  defaultDurationSeconds: number;
  approval: {
    required: boolean;
    minApprovals: number;
    approverGroups: string[];
    validForSeconds: number | null;
    maxUses: number | null;
  };
  breakGlass: { allowed: boolean; maxDurationSeconds: number | null };
  canRequest: boolean;
  canApprove: boolean;
}

export interface AccessRequest {
  id: string;
  entitlementId: string;
  requester: Person;
  justification: string;
  ticket: string | null;
  durationSeconds: number;
  status: 'pending' | 'approved' | 'denied' | 'cancelled' | 'expired' | 'consumed';
  approvals: Array<{ approver: Person; at: string; comment: string | null }>;
  minApprovals: number;
  denial: { by: Person; at: string; reason: string } | null;
  createdAt: string;
  expiresAt: string;
  usesRemaining: number | null;
}

export interface Session {
  id: string;
  issuedAt: string;
  expiresAt: string;
  principal: Person & { groups: string[] };
  entitlementId: string;
  roleArn: string;
  assumedRoleArn: string;
  sessionName: string;
  accessKeyId: string;
  durationSeconds: number;
  requestId: string | null;
  approvers: Person[];
  breakGlass: {
    justification: string;
    review: {
      status: 'pending' | 'justified' | 'unjustified';
      reviewer: Person | null;
      at: string | null;
      comment: string | null;
    };
  } | null;
  client: { sourceIp: string | null; userAgent: string | null };
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
}

export interface AuditEvent {
  id: string;
  event: string;
  at: string;
  actor: Person;
  principal: string;
  requestId: string | null;
  entitlementId: string;
  details: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
