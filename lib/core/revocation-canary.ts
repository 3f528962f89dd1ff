/**
 * The follow-up check of a revocation. IAM applies a policy change within seconds, not at once, and
 * hallpass never holds the revoked sessions' secrets, so it proves the deny with a session of its
 * own: a **canary** of the same role, made by the account's revoker role just before the deny is
 * written, with a fresh `hallpass:session-id` that goes into the same policy document. The canary then
 * tries a call the deny blocks, AssumeRole into the account's **probe role** (which trusts only
 * canaries and may do nothing); allowed before the write, it is refused once IAM applies the new
 * document, and that moment is what hallpass records. GetCallerIdentity is never denied by AWS, so it
 * would prove nothing.
 *
 * What keeps the canary harmless (scripts/target-template/build.ts): the target roles trust the
 * revoker only for sessions tagged `hallpass:principal` = CANARY_PRINCIPAL, and a managed policy the
 * revoker cannot change denies such sessions everything but AssumeRole into the probe role; the
 * canary also asks for a session policy allowing only that. Pure: names, documents and outcomes.
 */
import { TAG } from './tags.ts';

/** The `hallpass:principal` tag of every canary; no person's session carries it. */
export const CANARY_PRINCIPAL = 'hallpass:revocation-canary';

/** A canary's lifetime: STS's shortest (the check lasts seconds). */
export const CANARY_SECONDS = 900;

/** How long the answer waits for the deny to be observed (IAM usually applies it in a few seconds). */
export const PROPAGATION_WAIT_MS = 10_000;

/** The probe role of an account, named after its revoker role (as the target template names it). */
export const probeRoleName = (revokerRoleName: string): string => `${revokerRoleName.slice(0, 58)}-probe`;

/** The session policy of a canary: nothing but AssumeRole into the probe role. */
export const canarySessionPolicy = (probeRoleArn: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: probeRoleArn }],
  });

/** The tags of a canary session: its own id, and the canary principal. */
export const canaryTags = (id: string) => [
  { Key: TAG.sessionId, Value: id },
  { Key: TAG.principal, Value: CANARY_PRINCIPAL },
];

/** Whether the deny was seen, per role: `pending` when not by the end of the wait. */
export type PropagationStatus = 'observed' | 'pending' | 'unverified';

export interface Propagation {
  status: PropagationStatus;
  /** When the canary was first seen denied (`observed`); null otherwise. */
  observedAt: string | null;
  /** Why it is not `observed` (no probe role, the wait ran out, ...); null when observed. */
  reason: string | null;
}

/** The answer's summary: observed only if every role's deny was; unverified if any could not be checked. */
export function overallPropagation(roles: readonly Propagation[]): PropagationStatus {
  if (roles.some((p) => p.status === 'unverified')) return 'unverified';
  if (roles.some((p) => p.status === 'pending')) return 'pending';
  return roles.length ? 'observed' : 'pending';
}

/**
 * The most the check may take from the start of the revocation: the revoke functions have 29 s, and
 * the marks and events come after it.
 */
export const PROPAGATION_BUDGET_MS = 20_000;

/** Milliseconds before the next probe: 250, 500, then every second (IAM's changes take seconds). */
export const probeDelay = (attempt: number): number => Math.min(1000, 250 * 2 ** attempt);
