/**
 * How many of their own sessions one person may revoke in an hour: each self-revocation adds entries
 * to the role's deny policy, and although a full policy refuses them (only an auditor's revocation
 * may fall back to denying the whole role), a script revoking and re-vending in a loop would fill it
 * for everyone else's self-revocations. Sessions are counted, not calls (`hallpass done` revokes one
 * session a call; a session id is what takes room in the policy). Auditors are not limited. Pure: the
 * revocation times of their recently self-revoked sessions are passed in.
 */
import { TooManyRequestsError } from '../errors.ts';

export const SELF_REVOCATION_WINDOW_SECONDS = 3600;
export const SELF_REVOCATIONS_PER_HOUR = 20;

/**
 * Refuses (429, with the seconds until enough of the window's revocations leave it) revoking
 * `revoking` more sessions when that would exceed `max` in the window.
 */
export function checkSelfRevocationAllowance(input: {
  recentRevokedAt: readonly string[];
  revoking: number;
  now: Date;
  max?: number;
  windowSeconds?: number;
}): void {
  const {
    recentRevokedAt,
    revoking,
    now,
    max = SELF_REVOCATIONS_PER_HOUR,
    windowSeconds = SELF_REVOCATION_WINDOW_SECONDS,
  } = input;
  const windowStart = now.getTime() - windowSeconds * 1000;
  const inWindow = recentRevokedAt
    .map(Date.parse)
    .filter((t) => t > windowStart)
    .sort((a, b) => a - b);
  if (inWindow.length + revoking <= max) return;
  // The revocation whose leaving the window makes room for these (the window's end, if none would).
  const leaving = inWindow[inWindow.length + revoking - max - 1] ?? now.getTime();
  const retryAfterSeconds = Math.max(1, Math.ceil((leaving + windowSeconds * 1000 - now.getTime()) / 1000));
  throw new TooManyRequestsError(
    `you have revoked ${inWindow.length} of your own sessions in the last hour; at most ${max} an hour: ` +
      `try again in ${retryAfterSeconds} s, or ask an auditor`,
    { retryAfterSeconds },
  );
}
