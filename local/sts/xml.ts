// STS Query-protocol response bodies, element for element as AWS sends them (the SDKs parse by name
// and order does not matter to them, but other clients compare against recorded AWS responses).
import type { StsError } from './errors.ts';
import type { Identity } from './keys.ts';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
export const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** An element whose children are already XML. */
const element = (name: string, ...children: string[]) => `<${name}>${children.join('')}</${name}>`;
/** An element holding text, escaped. */
const text = (name: string, value: string | number) => element(name, escapeXml(String(value)));
/** AWS timestamps: ISO 8601 to the second, with a Z. */
const timestamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function response(action: string, result: string, requestId: string): string {
  return (
    `<${action}Response xmlns="${NAMESPACE}">` +
    element(`${action}Result`, result) +
    element('ResponseMetadata', text('RequestId', requestId)) +
    `</${action}Response>`
  );
}

const credentials = (session: Identity) =>
  element(
    'Credentials',
    text('AccessKeyId', session.accessKeyId),
    text('SecretAccessKey', session.secretAccessKey),
    text('SessionToken', session.sessionToken ?? ''),
    text('Expiration', timestamp(session.expiration ?? new Date())),
  );

export function assumeRoleXml(
  session: Identity,
  extras: { sourceIdentity: string | undefined; packedPolicySize: number | undefined },
  requestId: string,
): string {
  const result = [
    extras.sourceIdentity === undefined ? '' : text('SourceIdentity', extras.sourceIdentity),
    element('AssumedRoleUser', text('Arn', session.arn), text('AssumedRoleId', session.userId)),
    credentials(session),
    extras.packedPolicySize === undefined ? '' : text('PackedPolicySize', extras.packedPolicySize),
  ];
  return response('AssumeRole', result.join(''), requestId);
}

export function assumeRoleWithWebIdentityXml(
  session: Identity,
  extras: {
    subject: string;
    audience: string;
    provider: string;
    sourceIdentity: string | undefined;
    packedPolicySize: number | undefined;
  },
  requestId: string,
): string {
  const result = [
    text('SubjectFromWebIdentityToken', extras.subject),
    text('Audience', extras.audience),
    element('AssumedRoleUser', text('Arn', session.arn), text('AssumedRoleId', session.userId)),
    credentials(session),
    extras.packedPolicySize === undefined ? '' : text('PackedPolicySize', extras.packedPolicySize),
    extras.sourceIdentity === undefined ? '' : text('SourceIdentity', extras.sourceIdentity),
    text('Provider', extras.provider),
  ];
  return response('AssumeRoleWithWebIdentity', result.join(''), requestId);
}

export function callerIdentityXml(identity: Identity, requestId: string): string {
  const result =
    text('Arn', identity.arn) + text('UserId', identity.userId) + text('Account', identity.account);
  return response('GetCallerIdentity', result, requestId);
}

export function errorXml(error: StsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${NAMESPACE}">` +
    element('Error', text('Type', error.type), text('Code', error.code), text('Message', error.message)) +
    text('RequestId', requestId) +
    '</ErrorResponse>'
  );
}
