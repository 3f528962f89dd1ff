// Who may call the local SSM: SigV4 checked by the local STS's verifier (scoped to the `ssm` service),
// the callers looked up and the refusals named as for the local KMS (local/kms/auth.ts).

import { authenticateJsonCaller } from '../kms/auth.ts';
import type { Identity } from '../sts/keys.ts';
import type { SignedRequest } from '../sts/sigv4.ts';
import { SsmError } from './errors.ts';

export { type Caller, callerLookup, parseJsonObject, signedRequest } from '../kms/auth.ts';

export const authenticateCaller = (
  request: SignedRequest,
  now: Date,
  lookup: (accessKeyId: string) => Identity | undefined,
): Identity =>
  authenticateJsonCaller(request, now, lookup, 'ssm', (code, message) => new SsmError(code, message));
