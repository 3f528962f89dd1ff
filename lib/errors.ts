/**
 * One error class per failure mode. None of them knows about HTTP: `lib/http/errors.ts` is the
 * single table that maps them to statuses and API codes.
 */

export interface Detail {
  path: string;
  message: string;
}

/**
 * Each class names itself in a string: the bundles are minified, and a name read from the class
 * (`constructor.name`) would print as `Lt` in logs and audit records.
 */
abstract class HallpassError extends Error {
  abstract override readonly name: string;
}

/** The request is malformed: bad JSON, unknown or missing fields, out-of-range values. */
export class InvalidRequestError extends HallpassError {
  override readonly name = 'InvalidRequestError';
  constructor(
    message: string,
    readonly details: Detail[] = [],
  ) {
    super(message);
  }
}

/** The bearer token is missing, malformed, expired or unverifiable. */
export class UnauthenticatedError extends HallpassError {
  override readonly name = 'UnauthenticatedError';
}

/** Authenticated, but not entitled to this action. */
export class ForbiddenError extends HallpassError {
  override readonly name = 'ForbiddenError';
}

/** The entitlement needs an approved request and none was given. */
export class ApprovalRequiredError extends HallpassError {
  override readonly name = 'ApprovalRequiredError';
}

/** An approver acting on their own request or session. */
export class SelfApprovalError extends HallpassError {
  override readonly name = 'SelfApprovalError';
}

/** Unknown entitlement, request or session, or one the caller may not see. */
export class NotFoundError extends HallpassError {
  override readonly name = 'NotFoundError';
}

/** The state does not allow the action (already decided, expired, used up). */
export class ConflictError extends HallpassError {
  override readonly name = 'ConflictError';
}

/**
 * A revocation would need the role-wide fallback (the role's deny policy is full, and the fallback
 * denies every session of the role) and the caller may not cause that: only an auditor's revocation
 * may. Nothing was changed.
 */
export class RevocationPolicyFullError extends HallpassError {
  override readonly name = 'RevocationPolicyFullError';
}

/** The body is larger than the API accepts. */
export class PayloadTooLargeError extends HallpassError {
  override readonly name = 'PayloadTooLargeError';
}

/** The body is not JSON. */
export class UnsupportedMediaTypeError extends HallpassError {
  override readonly name = 'UnsupportedMediaTypeError';
}

/**
 * The catalog asks for something STS refuses (a packed policy too large, a malformed policy):
 * the caller's request is fine, the entitlement's definition is not.
 */
export class CatalogProblemError extends HallpassError {
  override readonly name = 'CatalogProblemError';
}

/** The caller is over its rate (e.g. break-glass sessions per principal); nothing was issued. */
export class TooManyRequestsError extends HallpassError {
  override readonly name = 'TooManyRequestsError';
  constructor(message: string, options?: { retryAfterSeconds?: number }) {
    super(message);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
  readonly retryAfterSeconds: number;
}

/**
 * DynamoDB, STS, the issuer's JWKS, KMS (hallpass's own token signing) or AWS's federation endpoint
 * (console sign-in) failed or throttled; nothing was handed out.
 */
export class UpstreamUnavailableError extends HallpassError {
  override readonly name = 'UpstreamUnavailableError';
  constructor(
    readonly upstream: 'dynamodb' | 'sts' | 'jwks' | 'kms' | 'federation' | 'iam' | 'ssm' | 'slack',
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
  readonly retryAfterSeconds: number;
}

/** A configuration or catalog that cannot be used: raised at start-up, naming the bad key. */
export class ConfigError extends HallpassError {
  override readonly name = 'ConfigError';
}
