// The error codes the local SSM answers with. As in KMS, the JSON protocol carries the code in
// `__type` and the SDK names the thrown error after it; client errors are 400, SSM's own 500.
export type SsmErrorCode =
  | 'ExpiredTokenException'
  | 'IncompleteSignatureException'
  | 'InternalServerError'
  | 'InvalidSignatureException'
  | 'MissingAuthenticationTokenException'
  | 'ParameterNotFound'
  | 'ParameterVersionNotFound'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'UnrecognizedClientException'
  | 'ValidationException';

export class SsmError extends Error {
  readonly code: SsmErrorCode;
  readonly status: number;

  constructor(code: SsmErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = code === 'InternalServerError' ? 500 : 400;
  }

  toJSON() {
    return { __type: this.code, message: this.message };
  }
}
