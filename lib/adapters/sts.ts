/**
 * AssumeRole through the STS client it is given, with STS's errors mapped to hallpass's. The client
 * comes from `deps.ts`; its endpoint follows the SDK's conventions (AWS_ENDPOINT_URL_STS).
 */
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
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

function mapStsError(error: unknown, plan: AssumeRolePlan): Error {
  // The SDK names modeled errors with an `Exception` suffix (PackedPolicyTooLargeException); STS's
  // wire codes have none. Compare on the code.
  const name = ((error as { name?: string }).name ?? 'Error').replace(/Exception$/, '');
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
      `STS denied AssumeRole on ${plan.roleArn}: check the role's trust policy`,
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

/** Calls AssumeRole with exactly the plan's parameters. */
export async function assumeRole(client: STSClient, plan: AssumeRolePlan): Promise<IssuedCredentials> {
  let output: AssumeRoleCommandOutput;
  try {
    output = await client.send(new AssumeRoleCommand(assumeRoleInput(plan)));
  } catch (error) {
    throw mapStsError(error, plan);
  }
  const credentials = output.Credentials;
  const arn = output.AssumedRoleUser?.Arn;
  if (
    !credentials?.AccessKeyId ||
    !credentials.SecretAccessKey ||
    !credentials.SessionToken ||
    !credentials.Expiration ||
    !arn
  ) {
    throw new UpstreamUnavailableError('sts', 'STS answered AssumeRole without credentials');
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
    assumedRoleArn: arn,
  };
}
