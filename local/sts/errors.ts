// The error codes the local STS answers with, and the HTTP status AWS pairs with each. The SDKs name
// the thrown error after the <Code>, so the code (not the status) is what callers branch on.
const STATUS = {
  ValidationError: 400,
  MalformedPolicyDocument: 400,
  PackedPolicyTooLarge: 400,
  AccessDenied: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  ExpiredToken: 400,
  IncompleteSignature: 400,
  MissingAuthenticationToken: 403,
  InvalidAction: 400,
  RegionDisabledException: 403,
  // AssumeRoleWithWebIdentity's own, with the statuses the STS model gives them.
  InvalidIdentityToken: 400,
  ExpiredTokenException: 400,
  IDPCommunicationError: 400,
  IDPRejectedClaim: 403,
  Throttling: 400,
  InternalFailure: 500,
} as const;

export type StsErrorCode = keyof typeof STATUS;

export class StsError extends Error {
  readonly code: StsErrorCode;
  readonly status: number;

  constructor(code: StsErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
  }

  /** AWS blames the caller (`Sender`) for everything except its own failures. */
  get type(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

// AWS's own wording, so that code matching on messages behaves as it would against AWS.
export const MESSAGES = {
  invalidToken: 'The security token included in the request is invalid.',
  expiredToken: 'The security token included in the request is expired',
  badSignature:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
    'Access Key and signing method. Consult the service documentation for details.',
  missingAuth: 'Request is missing Authentication Token',
  maxSessionDuration: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  roleChaining:
    'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  throttling: 'Rate exceeded',
  webIdentityDenied: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
  // Two spaces after the comma, as AWS sends it.
  noVerificationKey:
    "Couldn't retrieve verification key from your identity provider,  please reference " +
    'AssumeRoleWithWebIdentity documentation for requirements',
  idpUnreachable:
    'The request could not be fulfilled because the identity provider (IDP) that was asked to verify the ' +
    'incoming identity token could not be reached.',
  audience: 'Incorrect token audience',
} as const;
