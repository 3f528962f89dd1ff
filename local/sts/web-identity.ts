// AssumeRoleWithWebIdentity's rules, in the order AWS applies them: the API model's constraints, then
// the token (its issuer must be an OIDC provider of the role's account, its signature must verify
// with the issuer's published keys, then audience and lifetime), then the role's federated trust,
// then the session the token asks for (tags, source identity, duration, session policies).
import { compactVerify, errors } from 'jose';
import {
  type FederatedTrust,
  isUnresolved,
  type OidcProviderConfig,
  ROLE_ARN,
  type RoleConfig,
} from './config.ts';
import { MESSAGES, StsError } from './errors.ts';
import type { IssuerKeys } from './oidc.ts';
import {
  ARN,
  type Constraint,
  checkArns,
  checkTags,
  members,
  NAME,
  optional,
  POLICY,
  TAG_KEY,
  TAG_VALUE,
  type Tag,
  Violations,
} from './rules.ts';

export interface WebIdentityRequest {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  /** Only for OAuth 2.0 providers (Amazon, Facebook); OIDC tokens name their issuer themselves. */
  providerId: string | undefined;
  durationSeconds: number | undefined;
  policy: string | undefined;
  policyArns: string[];
}

/** What a verified token vouches for. */
export interface WebIdentity {
  provider: OidcProviderConfig;
  issuer: string;
  subject: string;
  /** The token's audience that the provider lists as a client id. */
  audience: string;
  claims: Record<string, unknown>;
}

/** What the token asks of the session (AWS's documented claim names). */
export interface SessionClaims {
  tags: Tag[];
  transitiveTagKeys: string[];
  sourceIdentity: string | undefined;
}

const TOKEN: Constraint = { min: 4, max: 20000 };
const PROVIDER_ID: Constraint = { min: 4, max: 2048 };
const TAGS_CLAIM = 'https://aws.amazon.com/tags';
const SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity';
/** IAM allows this much clock skew past a token's `exp` (OIDC Core permits it). */
const EXPIRY_SKEW_SECONDS = 300;
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];

const invalidToken = (message: string) => new StsError('InvalidIdentityToken', message);
const notAJwt = () =>
  invalidToken(
    'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
  );

/** Reads and validates the request on its own, before the token is looked at. */
export function parseAssumeRoleWithWebIdentity(params: URLSearchParams): WebIdentityRequest {
  const v = new Violations();
  const roleArn = optional(params, 'RoleArn');
  const roleSessionName = optional(params, 'RoleSessionName');
  const webIdentityToken = optional(params, 'WebIdentityToken');
  const providerId = optional(params, 'ProviderId');
  const policyArns = members(params, 'PolicyArns').map((m) => m.get('arn') ?? '');
  const policy = optional(params, 'Policy');

  v.check(roleArn, 'roleArn', ARN, true);
  v.check(roleSessionName, 'roleSessionName', NAME, true);
  v.check(webIdentityToken, 'webIdentityToken', TOKEN, true);
  v.check(providerId, 'providerId', PROVIDER_ID);
  v.count(policyArns, 'policyArns', 10);
  for (const [i, arn] of policyArns.entries()) v.check(arn, `policyArns.${i + 1}.member.arn`, ARN);
  v.check(policy, 'policy', POLICY);
  const durationSeconds = v.duration(optional(params, 'DurationSeconds'));
  v.throwIfAny();
  checkArns(roleArn ?? '', policyArns);

  return {
    roleArn: roleArn ?? '',
    roleSessionName: roleSessionName ?? '',
    webIdentityToken: webIdentityToken ?? '',
    providerId,
    durationSeconds,
    policy,
    policyArns,
  };
}

/**
 * Verifies the token as AWS does: decodes it, finds the OIDC provider of the role's account that
 * issued it, verifies its signature with the issuer's published keys (fetching them again once if
 * the token names a key the cached set lacks), then checks audience, expiry and issue times.
 */
export async function verifyWebIdentity(
  request: WebIdentityRequest,
  providers: OidcProviderConfig[],
  keys: IssuerKeys,
  now: Date,
): Promise<WebIdentity> {
  const claims = decodeClaims(request.webIdentityToken);
  const issuer = claims.iss;
  if (typeof issuer !== 'string' || issuer === '') throw notAJwt();
  const account = ROLE_ARN.exec(request.roleArn)?.[1];
  const provider = providers.find(
    (p) => p.account === account && !isUnresolved(p.url) && sameProvider(p.url, issuer),
  );
  if (!provider) throw invalidToken(`No OpenIDConnect provider found in your account for ${issuer}`);

  await verifySignature(request.webIdentityToken, provider.url, keys);

  const audiences =
    typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  const audience = audiences.find((aud): aud is string => provider.audiences.includes(aud as string));
  if (audience === undefined) throw invalidToken(MESSAGES.audience);

  checkLifetime(claims, now);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw notAJwt();
  return { provider, issuer, subject: claims.sub, audience, claims };
}

function decodeClaims(token: string): Record<string, unknown> {
  const [header, payload, signature, ...extra] = token.split('.');
  if (!header || !payload || !signature || extra.length > 0) throw notAJwt();
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw notAJwt();
    return claims as Record<string, unknown>;
  } catch {
    throw notAJwt();
  }
}

// IAM names a provider by its URL without the scheme (arn:...:oidc-provider/host/path); a token's
// `iss` may end in a slash the registered URL lacks, or the reverse.
const providerName = (url: string) => url.replace(/^https?:\/\//, '').replace(/\/$/, '');
const sameProvider = (url: string, issuer: string) =>
  url.replace(/\/$/, '') === issuer.replace(/\/$/, '') || providerName(url) === issuer.replace(/\/$/, '');

async function verifySignature(token: string, issuer: string, keys: IssuerKeys) {
  for (const fresh of [false, true]) {
    const resolver = await keys.resolver(issuer, fresh);
    try {
      await compactVerify(token, resolver, { algorithms: ALGORITHMS });
      return;
    } catch (error) {
      // An unknown key id may be a key the issuer published after we cached its set.
      if (error instanceof errors.JWKSNoMatchingKey && !fresh) continue;
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw invalidToken(MESSAGES.noVerificationKey);
      }
      if (error instanceof errors.JWSSignatureVerificationFailed) {
        throw invalidToken('Signature validation failed');
      }
      if (error instanceof errors.JOSEAlgNotAllowed) {
        throw invalidToken('The signing algorithm of the token is not supported');
      }
      throw notAJwt();
    }
  }
}

function checkLifetime(claims: Record<string, unknown>, now: Date) {
  const seconds = Math.floor(now.getTime() / 1000);
  const { exp, iat, nbf } = claims;
  if (typeof exp !== 'number') throw notAJwt();
  if (seconds > exp + EXPIRY_SKEW_SECONDS) {
    throw new StsError(
      'ExpiredTokenException',
      `Token expired: current date/time ${seconds} must be before the expiration date/time ${exp}`,
    );
  }
  if (iat !== undefined && (typeof iat !== 'number' || iat > seconds + EXPIRY_SKEW_SECONDS || iat > exp)) {
    throw invalidToken('Token issued in the future or after its expiry (iat)');
  }
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > seconds + EXPIRY_SKEW_SECONDS)) {
    throw invalidToken('Token not yet valid (nbf)');
  }
}

/** The role's federated trust: the token's provider, and the `aud` and `sub` conditions. */
export function authorizeWebIdentity(
  request: WebIdentityRequest,
  identity: WebIdentity,
  roles: RoleConfig[],
): RoleConfig {
  const role = roles.find((r) => r.arn === request.roleArn);
  if (!role?.federated || !trusts(role.federated, identity)) {
    throw new StsError('AccessDenied', MESSAGES.webIdentityDenied);
  }
  return role;
}

function trusts(trust: FederatedTrust, identity: WebIdentity): boolean {
  return (
    !isUnresolved(trust.provider) &&
    providerName(trust.provider) === providerName(identity.provider.url) &&
    trust.audience === identity.audience &&
    (trust.subject === undefined || stringLike(trust.subject, identity.subject))
  );
}

/** IAM's StringLike: `*` any run of characters, `?` any one, case-sensitive, the whole value. */
export function stringLike(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
}

/**
 * Session tags and source identity from the token's claims, held to AssumeRole's limits:
 * `https://aws.amazon.com/tags` = `{principal_tags: {key: [value]}, transitive_tag_keys: [key]}`,
 * `https://aws.amazon.com/source_identity` = a string.
 */
export function sessionClaims(claims: Record<string, unknown>): SessionClaims {
  const raw = claims[TAGS_CLAIM] ?? {};
  if (!isRecord(raw)) throw invalidToken(`The ${TAGS_CLAIM} claim must be an object`);
  const principalTags = raw.principal_tags ?? {};
  const transitive = raw.transitive_tag_keys ?? [];
  if (!isRecord(principalTags)) throw invalidToken('principal_tags must map each tag key to [value]');
  // Session tags are single-valued: each key maps to a list of exactly one value.
  const tags = Object.entries(principalTags).map(([key, value]) => {
    if (!Array.isArray(value) || value.length !== 1 || typeof value[0] !== 'string') {
      throw invalidToken(`principal_tags.${key} must be a list of exactly one string`);
    }
    return { key, value: value[0] };
  });
  if (!Array.isArray(transitive) || transitive.some((key) => typeof key !== 'string')) {
    throw invalidToken('transitive_tag_keys must be a list of tag keys');
  }
  const sourceIdentity = claims[SOURCE_IDENTITY_CLAIM];
  if (sourceIdentity !== undefined && typeof sourceIdentity !== 'string') {
    throw invalidToken(`The ${SOURCE_IDENTITY_CLAIM} claim must be a string`);
  }

  const v = new Violations();
  for (const [i, tag] of tags.entries()) {
    v.check(tag.key, `tags.${i + 1}.member.key`, TAG_KEY, true);
    v.check(tag.value, `tags.${i + 1}.member.value`, TAG_VALUE, true);
  }
  v.count(
    tags.map((tag) => `${tag.key}=${tag.value}`),
    'tags',
    50,
  );
  v.count(transitive, 'transitiveTagKeys', 50);
  for (const [i, key] of transitive.entries()) v.check(key, `transitiveTagKeys.${i + 1}.member`, TAG_KEY);
  v.check(sourceIdentity, 'sourceIdentity', NAME);
  v.throwIfAny();
  checkTags(tags, transitive);
  return { tags, transitiveTagKeys: transitive, sourceIdentity };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
