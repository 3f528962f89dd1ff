/**
 * AssumeRole and AssumeRoleWithWebIdentity through the STS client it is given, with STS's errors
 * mapped to hallpass's. The client comes from `deps.ts`; its endpoint follows the SDK's conventions
 * (AWS_ENDPOINT_URL_STS).
 */
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  AssumeRoleWithWebIdentityCommand,
  type AssumeRoleWithWebIdentityCommandInput,
  type Credentials,
  type STSClient,
} from '@aws-sdk/client-sts';
import type { AssumeRolePlan } from '../core/session-plan.ts';
import { CatalogProblemError, UpstreamUnavailableError } from '../errors.ts';

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn: string;
}

// Refusals that mean the catalog (or the target role's trust policy) is wrong, not the caller.
const CATALOG_PROBLEMS = new Set(['MalformedPolicyDocument', 'PackedPolicyTooLarge', 'ValidationError']);

// Refusals that mean the target account is not set up to trust hallpass: its role's trust policy
// (AccessDenied), or for web identity its IAM OIDC provider for hallpass's issuer. A configuration
// error, answered at once and never worth a retry (not a 503 with Retry-After), naming what to fix.
const TRUST_PROBLEMS: Record<string, (plan: AssumeRolePlan, action: string) => string> = {
  AccessDenied: (plan, action) =>
    `STS denied ${action} on ${plan.roleArn}: the role's trust policy does not trust hallpass for this call (see README, Target accounts: npm run target-template)`,
  InvalidIdentityToken: (plan) =>
    `STS refused hallpass's web identity token for ${plan.roleArn} (InvalidIdentityToken): register hallpass's issuer as an IAM OIDC provider in the role's account, with hallpass's audience`,
  IDPRejectedClaim: (plan) =>
    `STS refused a claim of hallpass's web identity token for ${plan.roleArn} (IDPRejectedClaim): check the OIDC provider and the role's trust conditions`,
};

// AssumeRoleWithWebIdentity's transient refusals of hallpass's own token: STS could not read
// hallpass's keys, or the token outlived the call (clock skew). Retried later.
const IDENTITY_PROVIDER_PROBLEMS = new Set(['IDPCommunicationError', 'ExpiredToken']);

function mapStsError(error: unknown, plan: AssumeRolePlan, action: string): Error {
  // The SDK names modeled errors with an `Exception` suffix (PackedPolicyTooLargeException); STS's
  // wire codes have none. Compare on the code.
  const name = ((error as { name?: string }).name ?? 'Error').replace(/Exception$/, '');
  // InvalidIdentityToken also says when STS could not fetch hallpass's keys: that one may pass.
  const unreachableKeys = /retrieve verification key/i.test((error as Error).message ?? '');
  const trust = unreachableKeys ? undefined : TRUST_PROBLEMS[name];
  if (trust) return new CatalogProblemError(trust(plan, action), { cause: error });
  if (IDENTITY_PROVIDER_PROBLEMS.has(name) || unreachableKeys) {
    return new UpstreamUnavailableError(
      'sts',
      `STS could not check hallpass's web identity token for ${plan.roleArn} (${name}): check that STS can reach hallpass's issuer and JWKS over HTTPS`,
      { cause: error, retryAfterSeconds: name === 'ExpiredToken' ? 2 : 5 },
    );
  }
  if (CATALOG_PROBLEMS.has(name)) {
    return new CatalogProblemError(
      `STS refused the session for ${plan.roleArn} (${name}): fix the catalog entry`,
      {
        cause: error,
      },
    );
  }
  return new UpstreamUnavailableError('sts', `STS is unavailable (${name})`, {
    cause: error,
    retryAfterSeconds: 2,
  });
}

/** AssumeRole's input: exactly the plan's parameters, empty lists left out as STS expects. */
export function assumeRoleInput(plan: AssumeRolePlan): AssumeRoleCommandInput {
  return {
    RoleArn: plan.roleArn,
    RoleSessionName: plan.roleSessionName,
    DurationSeconds: plan.durationSeconds,
    Policy: plan.policy ?? undefined,
    PolicyArns: plan.policyArns.length ? plan.policyArns.map((arn) => ({ arn })) : undefined,
    Tags: Object.entries(plan.tags).map(([Key, Value]) => ({ Key, Value })),
    TransitiveTagKeys: plan.transitiveTagKeys.length ? plan.transitiveTagKeys : undefined,
    SourceIdentity: plan.sourceIdentity,
    ExternalId: plan.externalId ?? undefined,
  };
}

/**
 * AssumeRoleWithWebIdentity's input: the plan's role, name, duration and policies; its tags and
 * SourceIdentity travel inside the token (lib/core/web-identity.ts), and it has no ExternalId.
 */
export function assumeRoleWithWebIdentityInput(
  plan: AssumeRolePlan,
  webIdentityToken: string,
): AssumeRoleWithWebIdentityCommandInput {
  return {
    RoleArn: plan.roleArn,
    RoleSessionName: plan.roleSessionName,
    DurationSeconds: plan.durationSeconds,
    Policy: plan.policy ?? undefined,
    PolicyArns: plan.policyArns.length ? plan.policyArns.map((arn) => ({ arn })) : undefined,
    WebIdentityToken: webIdentityToken,
  };
}

function issuedCredentials(
  action: string,
  credentials: Credentials | undefined,
  arn: string | undefined,
): IssuedCredentials {
  if (
    !credentials?.AccessKeyId ||
    !credentials.SecretAccessKey ||
    !credentials.SessionToken ||
    !credentials.Expiration ||
    !arn
  ) {
    throw new UpstreamUnavailableError('sts', `STS answered ${action} without credentials`);
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
    assumedRoleArn: arn,
  };
}

/** Calls AssumeRole with exactly the plan's parameters. */
export async function assumeRole(client: STSClient, plan: AssumeRolePlan): Promise<IssuedCredentials> {
  try {
    const output = await client.send(new AssumeRoleCommand(assumeRoleInput(plan)));
    return issuedCredentials('AssumeRole', output.Credentials, output.AssumedRoleUser?.Arn);
  } catch (error) {
    throw error instanceof UpstreamUnavailableError ? error : mapStsError(error, plan, 'AssumeRole');
  }
}

/**
 * Calls AssumeRoleWithWebIdentity with the plan and hallpass's signed token (which never appears in
 * an error, a log line or the audit record). The call is unsigned: it needs no IAM permission.
 */
export async function assumeRoleWithWebIdentity(
  client: STSClient,
  plan: AssumeRolePlan,
  webIdentityToken: string,
): Promise<IssuedCredentials> {
  const action = 'AssumeRoleWithWebIdentity';
  try {
    const output = await client.send(
      new AssumeRoleWithWebIdentityCommand(assumeRoleWithWebIdentityInput(plan, webIdentityToken)),
    );
    return issuedCredentials(action, output.Credentials, output.AssumedRoleUser?.Arn);
  } catch (error) {
    throw error instanceof UpstreamUnavailableError ? error : mapStsError(error, plan, action);
  }
}
