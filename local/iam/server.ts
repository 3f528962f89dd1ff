// A local stand-in for the two IAM calls hallpass makes (GetRolePolicy, PutRolePolicy), on IAM's Query
// protocol with SigV4 (service `iam`), beside the local STS whose keys, roles and policy store it
// shares: a policy written here is what the local STS evaluates on calls made with the role's
// sessions. Who may write is IAM's permission of the revoker role the target-account template makes:
// a session of `<revokerRoleName>` in the role's own account, on the policy `hallpass-revocations`.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { signedRequest } from '../kms/auth.ts';
import { listenOnLoopback } from '../loopback.ts';
import { StsError } from '../sts/errors.ts';
import { INLINE_POLICY_LIMIT, SUPPORTED_OPERATORS, unsupportedOperators } from '../sts/policies.ts';
import type { Identity, LocalSts } from '../sts/server.ts';
import { authenticate } from '../sts/sigv4.ts';

export interface LocalIamOptions {
  /** The local STS whose sessions call here and whose roles' policies this writes. */
  sts: Pick<LocalSts, 'identity' | 'roleArns' | 'policies'>;
  port?: number;
  host?: string;
  /** The revoker role's name in each account (default `hallpass-local-revoker`, as serverless.yml names it for stage local). */
  revokerRoleName?: string;
  /** The one policy name the revoker may read and write (default `hallpass-revocations`). */
  policyName?: string;
  /** IAM's quota on a role's inline policies (default 10,240 characters without whitespace). */
  inlinePolicyLimit?: number;
  now?: () => Date;
  /** One line per request (action, access key id, outcome). Never receives secrets. */
  log?: (line: string) => void;
}

export interface LocalIam {
  url: string;
  port: number;
  close(): Promise<void>;
}

const VERSION = '2010-05-08';
const NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STATUS: Record<string, number> = {
  NoSuchEntity: 404,
  LimitExceeded: 409,
  MalformedPolicyDocument: 400,
  ValidationError: 400,
  AccessDenied: 403,
  InvalidAction: 400,
};

class IamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return STATUS[this.code] ?? 400;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
const element = (name: string, ...children: string[]) => `<${name}>${children.join('')}</${name}>`;
const text = (name: string, value: string) => element(name, escapeXml(value));
const metadata = (requestId: string) => element('ResponseMetadata', text('RequestId', requestId));

function errorXml(error: IamError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${NAMESPACE}">` +
    element('Error', text('Type', type), text('Code', error.code), text('Message', error.message)) +
    text('RequestId', requestId) +
    '</ErrorResponse>'
  );
}

export async function startLocalIam(options: LocalIamOptions): Promise<LocalIam> {
  const revokerRoleName = options.revokerRoleName ?? 'hallpass-local-revoker';
  const policyName = options.policyName ?? 'hallpass-revocations';
  const limit = options.inlinePolicyLimit ?? INLINE_POLICY_LIMIT;
  const now = options.now ?? (() => new Date());
  const { sts } = options;

  /** The role of that name in the caller's account (IAM's calls act on the caller's own account). */
  function role(caller: Identity, name: string | null): string {
    if (!name)
      throw new IamError(
        'ValidationError',
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null",
      );
    const arn = sts.roleArns().find((a) => a.split(':')[4] === caller.account && a.endsWith(`/${name}`));
    if (!arn) throw new IamError('NoSuchEntity', `The role with name ${name} cannot be found.`);
    return arn;
  }

  function authorize(caller: Identity, action: string, roleArn: string, name: string | null) {
    const revoker = `arn:aws:iam::${caller.account}:role/${revokerRoleName}`;
    if (caller.principalArn !== revoker || name !== policyName) {
      throw new IamError(
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: iam:${action} on resource: ${roleArn} because no identity-based policy allows the iam:${action} action`,
      );
    }
  }

  function answer(params: URLSearchParams, caller: Identity, requestId: string): string {
    const action = params.get('Action') ?? '';
    const version = params.get('Version');
    if (
      (action !== 'GetRolePolicy' && action !== 'PutRolePolicy') ||
      (version !== null && version !== VERSION)
    )
      throw new IamError(
        'InvalidAction',
        `Could not find operation ${action} for version ${version ?? VERSION}`,
      );
    const roleName = params.get('RoleName');
    const name = params.get('PolicyName');
    const roleArn = role(caller, roleName);
    authorize(caller, action, roleArn, name);
    if (action === 'GetRolePolicy') {
      const document = sts.policies.get(roleArn, name ?? '');
      if (document === undefined)
        throw new IamError('NoSuchEntity', `The role policy with name ${name} cannot be found.`);
      // IAM answers the document URL-encoded.
      const result =
        text('RoleName', roleName ?? '') +
        text('PolicyName', name ?? '') +
        text('PolicyDocument', encodeURIComponent(document));
      return `<GetRolePolicyResponse xmlns="${NAMESPACE}">${element('GetRolePolicyResult', result)}${metadata(requestId)}</GetRolePolicyResponse>`;
    }
    const document = params.get('PolicyDocument') ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(document);
    } catch {
      throw new IamError('MalformedPolicyDocument', 'Syntax errors in policy.');
    }
    if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed))
      throw new IamError('MalformedPolicyDocument', 'Missing required field Statement');
    const unsupported = unsupportedOperators(document);
    if (unsupported.length > 0)
      throw new IamError(
        'MalformedPolicyDocument',
        `the local IAM evaluates only ${SUPPORTED_OPERATORS.join(', ')}; not ${unsupported.join(', ')}`,
      );
    if (sts.policies.sizeWith(roleArn, name ?? '', document) > limit)
      throw new IamError(
        'LimitExceeded',
        `Maximum policy size of ${limit} bytes exceeded for role ${roleName}`,
      );
    sts.policies.put(roleArn, name ?? '', document);
    return `<PutRolePolicyResponse xmlns="${NAMESPACE}">${metadata(requestId)}</PutRolePolicyResponse>`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const request = await signedRequest(req);
    const params = new URLSearchParams(request.query);
    if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      for (const [key, value] of new URLSearchParams(request.body.toString('utf8')))
        params.append(key, value);
    }
    const requestId = randomUUID();
    const at = now();
    let status = 200;
    let outcome = 'OK';
    let xml: string;
    try {
      let caller: Identity;
      try {
        caller = authenticate(request, at, (id) => sts.identity(id), 'iam');
      } catch (error) {
        if (error instanceof StsError) throw new IamError(error.code, error.message);
        throw error;
      }
      xml = answer(params, caller, requestId);
    } catch (error) {
      const iamError = error instanceof IamError ? error : new IamError('ServiceFailure', String(error));
      status = error instanceof IamError ? iamError.status : 500;
      outcome = iamError.code;
      xml = errorXml(iamError, requestId);
    }
    res.writeHead(status, {
      'Content-Type': 'text/xml',
      'x-amzn-RequestId': requestId,
      Date: at.toUTCString(),
    });
    res.end(xml);
    const keyId = /Credential=([^/,\s]+)/.exec(request.headers.authorization ?? '')?.[1] ?? '-';
    options.log?.(`${params.get('Action') ?? '-'} ${keyId} -> ${status} ${outcome}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const listening = await listenOnLoopback(server, options.port, options.host);
  return { url: listening.url, port: listening.port, close: listening.close };
}
