// The error codes the local KMS answers with. The JSON protocol carries the code in `__type`, and the
// SDK names the thrown error after it, so the code is what callers branch on. AWS answers every
// client error of this API with 400, its own failures with 500.
export type KmsErrorCode =
  | 'DisabledException'
  | 'ExpiredTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidKeyUsageException'
  | 'InvalidSignatureException'
  | 'KMSInternalException'
  | 'MissingAuthenticationTokenException'
  | 'NotFoundException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'UnrecognizedClientException'
  | 'ValidationException';

export class KmsError extends Error {
  readonly code: KmsErrorCode;
  readonly status: number;

  constructor(code: KmsErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = code === 'KMSInternalException' ? 500 : 400;
  }

  toJSON() {
    return { __type: this.code, message: this.message };
  }
}

/**
 * AWS's single-violation wording for a parameter that breaks the API model's constraints. `value` is
 * left out for sensitive parameters (the message to sign), as AWS leaves it out.
 */
export const validationError = (at: string, constraint: string, value?: string) =>
  new KmsError(
    'ValidationException',
    `1 validation error detected: Value ${value === undefined ? '' : `${value} `}at '${at}' ` +
      `failed to satisfy constraint: Member must ${constraint}`,
  );
