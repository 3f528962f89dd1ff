/**
 * The revocation policy of target roles, read and written through IAM as each target account's
 * revoker role (`hallpass-<stage>-revoker`, made by the target-account template): hallpass's own
 * functions hold no IAM permission, and the revoker may only GetRolePolicy/PutRolePolicy that one
 * policy name on the catalog's roles. The IAM client's endpoint follows the SDK's conventions
 * (AWS_ENDPOINT_URL_IAM).
 */
import { GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { REVOCATION_POLICY_NAME } from '../core/revocation.ts';
import { UpstreamUnavailableError } from '../errors.ts';

/** One account's revocation policies, as its revoker sees them. */
export interface RolePolicies {
  /** The policy document, or undefined when the role has none yet. */
  read(roleName: string): Promise<string | undefined>;
  /** Writes the document; false when IAM refuses it as too large (LimitExceeded). */
  write(roleName: string, document: string): Promise<boolean>;
}

export const roleAccount = (roleArn: string): string => roleArn.split(':')[4] ?? '';
export const roleName = (roleArn: string): string => roleArn.slice(roleArn.lastIndexOf('/') + 1);

const errorName = (error: unknown) =>
  ((error as { name?: string }).name ?? 'Error').replace(/Exception$/, '');

function iamError(error: unknown, what: string): UpstreamUnavailableError {
  const name = errorName(error);
  const hint =
    name === 'AccessDenied' ? ": check the revoker role of the role's account (npm run target-template)" : '';
  return new UpstreamUnavailableError('iam', `IAM refused ${what} (${name})${hint}`, {
    cause: error,
    retryAfterSeconds: name === 'AccessDenied' ? 30 : 2,
  });
}

/** The revocation policies of one account, through an IAM client signed as that account's revoker. */
export function rolePolicies(client: IAMClient): RolePolicies {
  return {
    async read(role) {
      try {
        const out = await client.send(
          new GetRolePolicyCommand({ RoleName: role, PolicyName: REVOCATION_POLICY_NAME }),
        );
        // IAM returns the document URL-encoded (RFC 3986).
        return out.PolicyDocument ? decodeURIComponent(out.PolicyDocument) : undefined;
      } catch (error) {
        if (errorName(error) === 'NoSuchEntity') return undefined;
        throw iamError(error, `reading the revocation policy of role ${role}`);
      }
    },
    async write(role, document) {
      try {
        await client.send(
          new PutRolePolicyCommand({
            RoleName: role,
            PolicyName: REVOCATION_POLICY_NAME,
            PolicyDocument: document,
          }),
        );
        return true;
      } catch (error) {
        if (errorName(error) === 'LimitExceeded') return false;
        throw iamError(error, `writing the revocation policy of role ${role}`);
      }
    },
  };
}

export interface RevokerOptions {
  /** The revoker role's name in every target account. */
  roleName: string;
  /** Options of the IAM and STS clients (retries, timeouts). */
  clientOptions: ConstructorParameters<typeof IAMClient>[0];
  /** Wraps each IAM client made (deps.ts: timed and counted in the container's metrics). */
  instrument?: (client: IAMClient) => IAMClient;
}

interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A target account's revoker session: its credentials, and the partition its roles are in. */
export type RevokerSession = (
  targetRoleArn: string,
) => Promise<{ credentials: SessionCredentials; account: string; partition: string }>;

/**
 * The revoker session of a role's account: AssumeRole into that account's revoker role, one session
 * per account, kept while it has more than five minutes left.
 */
export function revokerSessions(sts: STSClient, options: Pick<RevokerOptions, 'roleName'>): RevokerSession {
  const cache = new Map<string, { credentials: SessionCredentials; expires: number }>();
  return async (targetRoleArn) => {
    const account = roleAccount(targetRoleArn);
    const partition = targetRoleArn.split(':')[1] ?? 'aws';
    const cached = cache.get(account);
    if (cached && cached.expires - Date.now() > 300_000)
      return { credentials: cached.credentials, account, partition };
    const revoker = `arn:${partition}:iam::${account}:role/${options.roleName}`;
    let credentials:
      | { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date }
      | undefined;
    try {
      const out = await sts.send(
        new AssumeRoleCommand({ RoleArn: revoker, RoleSessionName: 'hallpass-revoke', DurationSeconds: 900 }),
      );
      credentials = out.Credentials;
    } catch (error) {
      throw new UpstreamUnavailableError(
        'sts',
        `STS refused the revoker role ${revoker} (${errorName(error)}): deploy the target-account template`,
        { cause: error, retryAfterSeconds: 30 },
      );
    }
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken)
      throw new UpstreamUnavailableError('sts', `STS answered AssumeRole of ${revoker} without credentials`);
    const kept = {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    };
    cache.set(account, {
      credentials: kept,
      expires: credentials.Expiration?.getTime() ?? Date.now() + 900_000,
    });
    return { credentials: kept, account, partition };
  };
}

/**
 * The revocation policies of a role's account, through an IAM client signed as its revoker (the
 * revoker sessions given, or made with `sts`).
 */
export function revokerPolicies(
  source: STSClient | RevokerSession,
  options: RevokerOptions,
): (roleArn: string) => Promise<RolePolicies> {
  const session = typeof source === 'function' ? source : revokerSessions(source, options);
  const clients = new WeakMap<SessionCredentials, RolePolicies>();
  return async (targetRoleArn) => {
    const { credentials } = await session(targetRoleArn);
    const known = clients.get(credentials);
    if (known) return known;
    const made = new IAMClient({ ...options.clientOptions, credentials });
    const policies = rolePolicies(options.instrument ? options.instrument(made) : made);
    clients.set(credentials, policies);
    return policies;
  };
}
