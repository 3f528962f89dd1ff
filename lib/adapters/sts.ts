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

// AssumeRoleWithWebIdentity's refusals of hallpass's own token: the target account's OIDC provider
// (or its trust in hallpass's issuer) is misconfigured, or STS could not read hallpass's keys. Never
// the caller's fault, and not fixed by a quick retry.
const IDENTITY_PROVIDER_PROBLEMS = new Set([
  'InvalidIdentityToken',
  'IDPRejectedClaim',
  'IDPCommunicationError',
  'ExpiredToken',
]);

function mapStsError(error: unknown, plan: AssumeRolePlan, action: string): Error {
  // The SDK names modeled errors with an `Exception` suffix (PackedPolicyTooLargeException); STS's
  // wire codes have none. Compare on the code.
  const name = ((error as { name?: string }).name ?? 'Error').replace(/Exception$/, '');
  if (IDENTITY_PROVIDER_PROBLEMS.has(name)) {
    return new UpstreamUnavailableError(
      'sts',
      `STS refused hallpass's web identity token for ${plan.roleArn} (${name}): check the OIDC provider for hallpass's issuer in the role's account, and that STS can reach its JWKS`,
      { cause: error, retryAfterSeconds: name === 'IDPCommunicationError' ? 5 : 30 },
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
  if (name === 'AccessDenied') {
    return new UpstreamUnavailableError(
      'sts',
      `STS denied ${action} on ${plan.roleArn}: check the role's trust policy`,
      {
        cause: error,
        retryAfterSeconds: 30,
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
