// Who may call the local KMS: SigV4 checked by the local STS's verifier (scoped to the `kms` service),
// with its refusals renamed to the codes AWS's JSON-protocol services answer with.
import type { IncomingMessage } from 'node:http';
import { StsError, type StsErrorCode } from '../sts/errors.ts';
import type { Identity } from '../sts/keys.ts';
import { authenticate, type SignedRequest } from '../sts/sigv4.ts';
import { KmsError, type KmsErrorCode } from './errors.ts';

export interface Caller {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const KMS_CODES: Partial<Record<StsErrorCode, KmsErrorCode>> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  IncompleteSignature: 'IncompleteSignatureException',
  ExpiredToken: 'ExpiredTokenException',
};

/** The callers as the verifier looks them up: IAM users of the server's account, named by their key. */
export function callerLookup(
  callers: Caller[],
  account: string,
): (accessKeyId: string) => Identity | undefined {
  const identities = new Map(
    callers.map((caller): [string, Identity] => {
      const arn = `arn:aws:iam::${account}:user/${caller.accessKeyId}`;
      return [
        caller.accessKeyId,
        {
          ...caller,
          sessionToken: caller.sessionToken,
          arn,
          userId: caller.accessKeyId,
          account,
          principalArn: arn,
        },
      ];
    }),
  );
  return (accessKeyId) => identities.get(accessKeyId);
}

/** The request as SigV4 canonicalises it: lower-cased header names, repeated headers joined by commas. */
export async function signedRequest(req: IncomingMessage): Promise<SignedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  return {
    method: req.method ?? 'POST',
    path: queryAt < 0 ? url : url.slice(0, queryAt),
    query: queryAt < 0 ? '' : url.slice(queryAt + 1),
    headers: Object.fromEntries(
      Object.entries(req.headersDistinct).map(([name, values]) => [name, values?.join(',') ?? '']),
    ),
    body: Buffer.concat(chunks),
  };
}

export function authenticateCaller(
  request: SignedRequest,
  now: Date,
  lookup: (accessKeyId: string) => Identity | undefined,
): Identity {
  try {
    return authenticate(request, now, lookup, 'kms');
  } catch (error) {
    if (!(error instanceof StsError)) throw error;
    throw new KmsError(KMS_CODES[error.code] ?? 'InvalidSignatureException', error.message);
  }
}
