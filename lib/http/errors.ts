/**
 * The one table from error classes to HTTP statuses and API codes (API.md "Errors"). Anything not in
 * it is a bug: 500 `internal`, with no detail leaving the service.
 */
import {
  ApprovalRequiredError,
  CatalogProblemError,
  ConflictError,
  type Detail,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  RevocationPolicyFullError,
  SelfApprovalError,
  TooManyRequestsError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  UpstreamUnavailableError,
} from '../errors.ts';

export const ErrorCode = {
  invalidRequest: 'invalid_request',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  approvalRequired: 'approval_required',
  selfApprovalForbidden: 'self_approval_forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  revocationPolicyFull: 'revocation_policy_full',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  tooManyRequests: 'too_many_requests',
  upstreamUnavailable: 'upstream_unavailable',
  internal: 'internal',
  // The Slack link routes' own codes (an error's `code`, see mapError).
  linkCodeNotFound: 'link_code_not_found',
  linkNotFound: 'link_not_found',
  slackNotConfigured: 'slack_not_configured',
  slackUserLinked: 'slack_user_linked',
  tooManyLinks: 'too_many_links',
} as const;

type ErrorClass = abstract new (...args: never[]) => Error;

const TABLE: Array<[ErrorClass, number, string]> = [
  [InvalidRequestError, 400, ErrorCode.invalidRequest],
  // The caller's request is fine but the catalog entry cannot be issued: say so, as STS does (400).
  [CatalogProblemError, 400, ErrorCode.invalidRequest],
  [UnauthenticatedError, 401, ErrorCode.unauthenticated],
  [ForbiddenError, 403, ErrorCode.forbidden],
  [ApprovalRequiredError, 403, ErrorCode.approvalRequired],
  [SelfApprovalError, 403, ErrorCode.selfApprovalForbidden],
  [NotFoundError, 404, ErrorCode.notFound],
  [ConflictError, 409, ErrorCode.conflict],
  [RevocationPolicyFullError, 409, ErrorCode.revocationPolicyFull],
  [PayloadTooLargeError, 413, ErrorCode.payloadTooLarge],
  [UnsupportedMediaTypeError, 415, ErrorCode.unsupportedMediaType],
  [TooManyRequestsError, 429, ErrorCode.tooManyRequests],
  [UpstreamUnavailableError, 503, ErrorCode.upstreamUnavailable],
];

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: Detail[] };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** Maps any thrown value to the API's error response. */
export function mapError(error: unknown, requestId: string): MappedError {
  const row = TABLE.find(([type]) => error instanceof type);
  if (!row || !(error instanceof Error)) {
    return {
      status: 500,
      headers: {},
      body: {
        error: {
          code: ErrorCode.internal,
          message: 'An internal error occurred; nothing was issued.',
          requestId,
        },
      },
    };
  }
  const [, status, tableCode] = row;
  // A few errors name themselves more precisely (the Slack link routes: `link_code_not_found`, ...).
  const own = (error as { code?: unknown }).code;
  const code = typeof own === 'string' && /^[a-z][a-z_]{2,40}$/.test(own) ? own : tableCode;
  const headers: Record<string, string> = {};
  if (error instanceof UnauthenticatedError) headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
  if (error instanceof UpstreamUnavailableError || error instanceof TooManyRequestsError) {
    headers['Retry-After'] = String(error.retryAfterSeconds);
  }
  const details =
    error instanceof InvalidRequestError && error.details.length ? { details: error.details } : {};
  return { status, headers, body: { error: { code, message: error.message, requestId, ...details } } };
}
