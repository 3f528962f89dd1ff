// Who may call the local SSM: SigV4 checked by the local STS's verifier (scoped to the `ssm` service),
// the callers looked up as the local KMS looks them up, the refusals named as AWS's JSON services name them.
import { StsError, type StsErrorCode } from '../sts/errors.ts';
import type { Identity } from '../sts/keys.ts';
import { authenticate, type SignedRequest } from '../sts/sigv4.ts';
import { SsmError, type SsmErrorCode } from './errors.ts';

export { type Caller, callerLookup, signedRequest } from '../kms/auth.ts';

const SSM_CODES: Partial<Record<StsErrorCode, SsmErrorCode>> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  IncompleteSignature: 'IncompleteSignatureException',
  ExpiredToken: 'ExpiredTokenException',
};

export function authenticateCaller(
  request: SignedRequest,
  now: Date,
  lookup: (accessKeyId: string) => Identity | undefined,
): Identity {
  try {
    return authenticate(request, now, lookup, 'ssm');
  } catch (error) {
    if (!(error instanceof StsError)) throw error;
    throw new SsmError(SSM_CODES[error.code] ?? 'InvalidSignatureException', error.message);
  }
}
