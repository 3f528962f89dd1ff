/**
 * Canary sessions for the follow-up check of revocations (lib/core/revocation-canary.ts): made by a
 * target account's revoker role, of the revoked session's role, tagged with a fresh session id and
 * the canary principal, limited by a session policy to AssumeRole into the account's probe role; and
 * the probe itself, one AssumeRole of the probe role with the canary's credentials. The canary's
 * credentials stay in this closure: never logged, never returned, dropped after the check.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { newSessionId } from '../core/ids.ts';
import { CANARY_SECONDS, canarySessionPolicy, canaryTags, probeRoleName } from '../core/revocation-canary.ts';
import type { RevokerSession } from './iam.ts';

export interface Canary {
  /** Its `hallpass:session-id`: the id the deny policy gets beside the revoked ones. */
  id: string;
  /** One AssumeRole of the probe role: true when refused (AccessDenied), false when allowed. */
  denied(): Promise<boolean>;
  /** Frees the clients (the canary is no longer used). */
  close(): void;
}

/** A canary of the role, or why there is none (an account without the probe, a role without the trust). */
export type StartCanary = (roleArn: string) => Promise<{ canary: Canary } | { unavailable: string }>;

export interface CanaryOptions {
  /** The revoker role's name in every target account; the probe role is named after it. */
  revokerRoleName: string;
  clientOptions: ConstructorParameters<typeof STSClient>[0];
  /**
   * Wraps the STS client that makes canaries (deps.ts: timed and counted in the container's
   * metrics). Not the probe's: its AccessDenied is the answer the check waits for, not a failure,
   * and would count as one (UpstreamError, which an alarm watches).
   */
  instrument?: (client: STSClient) => STSClient;
}

const errorName = (error: unknown) =>
  ((error as { name?: string }).name ?? 'Error').replace(/Exception$/, '');

/** Canaries made through each account's revoker session. */
export function revocationCanaries(session: RevokerSession, options: CanaryOptions): StartCanary {
  const client = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }) =>
    new STSClient({ ...options.clientOptions, credentials });
  return async (roleArn) => {
    let revoker: Awaited<ReturnType<RevokerSession>>;
    try {
      revoker = await session(roleArn);
    } catch (error) {
      return { unavailable: `the revoker role could not be assumed (${errorName(error)})` };
    }
    const probe = `arn:${revoker.partition}:iam::${revoker.account}:role/${probeRoleName(options.revokerRoleName)}`;
    const id = newSessionId();
    const made = client(revoker.credentials);
    const asRevoker = options.instrument ? options.instrument(made) : made;
    let credentials: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined;
    try {
      const out = await asRevoker.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `hallpass-canary-${id}`,
          DurationSeconds: CANARY_SECONDS,
          Tags: canaryTags(id),
          Policy: canarySessionPolicy(probe),
        }),
      );
      credentials = out.Credentials;
    } catch (error) {
      const name = errorName(error);
      return {
        unavailable:
          name === 'AccessDenied'
            ? 'the role does not trust the revoker for canaries: deploy the target-account template of this version (npm run target-template)'
            : `STS refused the canary session (${name})`,
      };
    } finally {
      asRevoker.destroy();
    }
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken)
      return { unavailable: 'STS answered the canary AssumeRole without credentials' };
    const asCanary = client({
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    });
    return {
      canary: {
        id,
        async denied() {
          try {
            await asCanary.send(
              new AssumeRoleCommand({
                RoleArn: probe,
                RoleSessionName: 'hallpass-canary-probe',
                DurationSeconds: 900,
              }),
            );
            return false;
          } catch (error) {
            if (errorName(error) === 'AccessDenied') return true;
            throw error;
          }
        },
        close: () => asCanary.destroy(),
      },
    };
  };
}
