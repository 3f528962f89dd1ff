// Who may call the local KMS (and the local SSM, which shares this): SigV4 checked by the local STS's
// verifier (scoped to the service), with its refusals renamed to the codes AWS's JSON-protocol
// services answer with; and the JSON body those services take.
import type { IncomingMessage } from 'node:http';
import { StsError, type StsErrorCode } from '../sts/errors.ts';
import type { Identity } from '../sts/keys.ts';
import { authenticate, type SignedRequest } from '../sts/sigv4.ts';
import { KmsError } from './errors.ts';

export interface Caller {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The refusals of SigV4 as every AWS JSON-protocol service names them. */
export type JsonAuthCode =
  | 'MissingAuthenticationTokenException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'IncompleteSignatureException'
  | 'ExpiredTokenException';

const JSON_AUTH_CODES: Partial<Record<StsErrorCode, JsonAuthCode>> = {
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

/**
 * The verified caller of a JSON-protocol service (`service` scopes the signature), or the service's
 * own error, made by `refuse`, with the code AWS answers.
 */
export function authenticateJsonCaller(
  request: SignedRequest,
  now: Date,
  lookup: (accessKeyId: string) => Identity | undefined,
  service: string,
  refuse: (code: JsonAuthCode, message: string) => Error,
): Identity {
  try {
    return authenticate(request, now, lookup, service);
  } catch (error) {
    if (!(error instanceof StsError)) throw error;
    throw refuse(JSON_AUTH_CODES[error.code] ?? 'InvalidSignatureException', error.message);
  }
}

/** A JSON-protocol body: a JSON object (empty text is `{}`), else `refuse`'s SerializationException. */
export function parseJsonObject(text: string, refuse: (message: string) => Error): Record<string, unknown> {
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw refuse('The request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw refuse('The request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export const authenticateCaller = (
  request: SignedRequest,
  now: Date,
  lookup: (accessKeyId: string) => Identity | undefined,
): Identity =>
  authenticateJsonCaller(request, now, lookup, 'kms', (code, message) => new KmsError(code, message));
