/**
 * The console sign-in's rules, from AWS's "Enable custom identity broker access to the AWS console"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html):
 * where a sign-in URL may send the browser, and which SessionDuration to ask the federation
 * endpoint for. Pure.
 */
import { InvalidRequestError } from '../errors.ts';

export type Partition = 'aws' | 'aws-us-gov' | 'aws-cn';

/**
 * The console hosts of each partition. A destination may be on one of them or on a subdomain
 * (`us-east-1.console.aws.amazon.com`).
 */
export const DEFAULT_CONSOLE_HOSTS = {
  aws: ['console.aws.amazon.com'],
  'aws-us-gov': ['console.amazonaws-us-gov.com'],
  'aws-cn': ['console.amazonaws.cn'],
} as const satisfies Record<Partition, readonly string[]>;

/** AWS's federation endpoint (getSigninToken, then login) of each partition. */
export const FEDERATION_ENDPOINTS = {
  aws: 'https://signin.aws.amazon.com/federation',
  'aws-us-gov': 'https://signin.amazonaws-us-gov.com/federation',
  'aws-cn': 'https://signin.amazonaws.cn/federation',
} as const satisfies Record<Partition, string>;

export const DEFAULT_DESTINATION = 'https://console.aws.amazon.com/';
export const MAX_DESTINATION_LENGTH = 2048;

/** The range of getSigninToken's SessionDuration: 15 minutes to 12 hours. */
export const MIN_CONSOLE_SESSION_SECONDS = 900;
export const MAX_CONSOLE_SESSION_SECONDS = 43200;
/** A sign-in URL (its SigninToken) is valid for 15 minutes after it is created. */
export const SIGNIN_TOKEN_LIFETIME_SECONDS = 900;

const refuse = (message: string) =>
  new InvalidRequestError('the destination is not a console URL hallpass may sign in to', [
    { path: 'destination', message },
  ]);

/** Lower case and without a trailing dot, as the URL parser leaves a host name. */
const normalHost = (host: string) => host.trim().toLowerCase().replace(/\.$/, '');

/**
 * The console URL a sign-in may send the browser to: `destination`, or when it is undefined the
 * first allowed host's home page (`DEFAULT_DESTINATION` without allowed hosts).
 *
 * 1. Refuses a destination over 2048 characters, or one with a character outside printable ASCII
 *    or a backslash: browsers, AWS and this parser must not read two different hosts out of it
 *    (`https://evil.com\@console...`); a non-ASCII host (an IDN look-alike) is refused with them.
 * 2. Parses it (WHATWG URL) and requires `https:`, no user name or password, the default port, and a
 *    host that is an allowed host or a subdomain of one (label-wise: `evilconsole.aws.amazon.com`
 *    and `console.aws.amazon.com.evil.com` are neither).
 * 3. Returns the parser's serialization, so what is signed into is exactly what was checked.
 */
export function checkDestination(destination: string | undefined, allowedHosts: readonly string[]): string {
  const hosts = allowedHosts.map(normalHost).filter((host) => host.length > 0);
  if (destination === undefined) return hosts[0] ? `https://${hosts[0]}/` : DEFAULT_DESTINATION;
  if (destination.length > MAX_DESTINATION_LENGTH) {
    throw refuse(`must be at most ${MAX_DESTINATION_LENGTH} characters`);
  }
  if (!/^[\x21-\x7e]*$/.test(destination) || destination.includes('\\')) {
    throw refuse('must be printable ASCII without spaces or backslashes (percent-encode the rest)');
  }
  // Scheme-relative and slash-less forms (`https:console...`) parse, but only to a guess.
  if (!/^https:\/\/[^/]/i.test(destination)) throw refuse('must be an https:// URL');
  let url: URL;
  try {
    url = new URL(destination);
  } catch {
    throw refuse('must be an https:// URL');
  }
  if (url.protocol !== 'https:') throw refuse('must be an https:// URL');
  const authority = destination.slice('https://'.length).split(/[/?#]/, 1)[0] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    throw refuse('must not carry a user name or password');
  }
  if (url.port !== '') throw refuse('must not name a port');
  const host = url.hostname;
  if (!hosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`))) {
    throw refuse(`must be on ${hosts.join(', ') || 'an allowed console host'} or a subdomain of it`);
  }
  if (url.href.length > MAX_DESTINATION_LENGTH) {
    throw refuse(`must be at most ${MAX_DESTINATION_LENGTH} characters`);
  }
  return url.href;
}

/**
 * The SessionDuration to send with getSigninToken, or undefined to send none.
 *
 * AWS's rules: SessionDuration is 900..43200 seconds and sets the console session's length apart from
 * the credentials' own (a console session may outlast them); without it the console session lasts
 * as long as the credentials (user guide page above). With credentials from role chaining the
 * federation endpoint refuses any SessionDuration (HTTP 400 "Invalid credentials parameter"); without
 * one it accepts them, and the console session ends with them, within the hour that role chaining
 * allows (https://aws.amazon.com/premiumsupport/knowledge-center/invalid-credentials-parameter/;
 * the user guide words it as "AssumeRole* ... must be called as an IAM user with long-term
 * credentials, otherwise the call to the federation endpoint fails"). A Lambda function's
 * AssumeRole (the assume-role issuance) is role chaining; AssumeRoleWithWebIdentity is not.
 *
 * hallpass never asks for a console session longer than the approved credentials: chained, or with
 * less than 900 s left (which SessionDuration cannot express), it sends none and the console session
 * ends with the credentials; otherwise it asks for the whole seconds left, at most 12 h.
 */
export function consoleSessionDuration(credentials: {
  remainingSeconds: number;
  chained: boolean;
}): number | undefined {
  if (credentials.chained) return undefined;
  const seconds = Math.floor(credentials.remainingSeconds);
  if (!(seconds >= MIN_CONSOLE_SESSION_SECONDS)) return undefined;
  return Math.min(seconds, MAX_CONSOLE_SESSION_SECONDS);
}
