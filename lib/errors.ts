/**
 * One error class per failure mode. None of them knows about HTTP: `lib/http/errors.ts` is the
 * single table that maps them to statuses and API codes.
 */

export interface Detail {
  path: string;
  message: string;
}

abstract class HallpassError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is malformed: bad JSON, unknown or missing fields, out-of-range values. */
export class InvalidRequestError extends HallpassError {
  constructor(
    message: string,
    readonly details: Detail[] = [],
  ) {
    super(message);
  }
}

/** The bearer token is missing, malformed, expired or unverifiable. */
export class UnauthenticatedError extends HallpassError {}

/** Authenticated, but not entitled to this action. */
export class ForbiddenError extends HallpassError {}

/** The entitlement needs an approved request and none was given. */
export class ApprovalRequiredError extends HallpassError {}

/** An approver acting on their own request or session. */
export class SelfApprovalError extends HallpassError {}

/** Unknown entitlement, request or session, or one the caller may not see. */
export class NotFoundError extends HallpassError {}

/** The state does not allow the action (already decided, expired, used up). */
export class ConflictError extends HallpassError {}

/** The body is larger than the API accepts. */
export class PayloadTooLargeError extends HallpassError {}

/** The body is not JSON. */
export class UnsupportedMediaTypeError extends HallpassError {}

/**
 * The catalog asks for something STS refuses (a packed policy too large, a malformed policy):
 * the caller's request is fine, the entitlement's definition is not.
 */
export class CatalogProblemError extends HallpassError {}

/** The caller is over its rate (e.g. break-glass sessions per principal); nothing was issued. */
export class TooManyRequestsError extends HallpassError {
  constructor(message: string, options?: { retryAfterSeconds?: number }) {
    super(message);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
  readonly retryAfterSeconds: number;
}

/** DynamoDB, STS or the issuer's JWKS failed or throttled; nothing was issued. */
export class UpstreamUnavailableError extends HallpassError {
  constructor(
    readonly upstream: 'dynamodb' | 'sts' | 'jwks',
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
  readonly retryAfterSeconds: number;
}

/** A configuration or catalog that cannot be used: raised at start-up, naming the bad key. */
export class ConfigError extends HallpassError {}
