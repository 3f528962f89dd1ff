/**
 * The claims of the JWT hallpass signs, as its own OIDC provider, for one web-identity session: what
 * AssumeRoleWithWebIdentity reads in place of AssumeRole's Tags, TransitiveTagKeys and
 * SourceIdentity parameters. Pure: signing is the KMS adapter's (lib/adapters/kms.ts).
 *
 * AWS's names (IAM User Guide, "Pass session tags in AWS STS" > "Passing session tags using
 * AssumeRoleWithWebIdentity", and "Monitor and control actions taken with assumed roles" for the
 * source identity): session tags go in the `https://aws.amazon.com/tags` claim as
 * `{ principal_tags: { key: [value] }, transitive_tag_keys: [key] }`; the SourceIdentity in the
 * `https://aws.amazon.com/source_identity` claim.
 */
import type { SessionParameters } from './session-plan.ts';

export const TAGS_CLAIM = 'https://aws.amazon.com/tags';
export const SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity';

/** The token lives long enough for one AssumeRoleWithWebIdentity call, and no longer. */
export const TOKEN_LIFETIME_SECONDS = 300;

export interface WebIdentityClaims {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  [TAGS_CLAIM]: { principal_tags: Record<string, [string]>; transitive_tag_keys: string[] };
  [SOURCE_IDENTITY_CLAIM]: string;
  // An index signature, so the claims are a JWT payload as jose and the signer take it.
  [claim: string]: unknown;
}

/**
 * The token's `sub`: the entitlement and the person (in SourceIdentity's encoding, so one-to-one and
 * within [\w+=,.@-]). A target role's trust can then bind to its entitlement with
 * `<provider>:sub` StringLike `<entitlementId>:*`: a token made for one entitlement cannot assume the
 * role of another, even one trusting the same provider.
 */
export const webIdentitySubject = (entitlementId: string, sourceIdentity: string): string =>
  `${entitlementId}:${sourceIdentity}`;

export interface ClaimsInput {
  issuer: string;
  audience: string;
  entitlementId: string;
  sessionId: string;
  parameters: SessionParameters;
  now: Date;
}

/** The claims of one session's token: tags and SourceIdentity exactly as AssumeRole would send them. */
export function webIdentityClaims(input: ClaimsInput): WebIdentityClaims {
  const { parameters } = input;
  const iat = Math.floor(input.now.getTime() / 1000);
  return {
    iss: input.issuer,
    aud: input.audience,
    sub: webIdentitySubject(input.entitlementId, parameters.sourceIdentity),
    jti: input.sessionId,
    iat,
    nbf: iat,
    exp: iat + TOKEN_LIFETIME_SECONDS,
    [TAGS_CLAIM]: {
      principal_tags: Object.fromEntries(
        Object.entries(parameters.tags).map(([key, value]) => [key, [value] as [string]]),
      ),
      transitive_tag_keys: [...parameters.transitiveTagKeys],
    },
    [SOURCE_IDENTITY_CLAIM]: parameters.sourceIdentity,
  };
}

/** The issuer's discovery document: what STS reads to find the keys (only what it needs). */
export function discoveryDocument(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    // hallpass issues tokens to itself only: no authorization endpoint, but the fields OIDC
    // discovery requires are present with what is true.
    authorization_endpoint: `${issuer}/.well-known/no-authorization-endpoint`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: ['iss', 'aud', 'sub', 'jti', 'iat', 'nbf', 'exp', TAGS_CLAIM, SOURCE_IDENTITY_CLAIM],
  };
}
