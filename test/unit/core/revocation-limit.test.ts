import { describe, expect, it } from 'vitest';
import {
  checkSelfRevocationAllowance,
  SELF_REVOCATIONS_PER_HOUR,
} from '../../../lib/core/revocation-limit.ts';
import { TooManyRequestsError } from '../../../lib/errors.ts';
import { thrown } from '../../support/errors.ts';

const NOW = new Date('2030-01-01T12:00:00Z');
const MAX = SELF_REVOCATIONS_PER_HOUR;
const minutesAgo = (m: number) => `${new Date(NOW.getTime() - m * 60_000).toISOString().slice(0, 19)}Z`;
/** `n` revocations, one a minute, the latest a minute ago. */
const recent = (n: number) => Array.from({ length: n }, (_, i) => minutesAgo(i + 1));

const refusal = (input: Parameters<typeof checkSelfRevocationAllowance>[0]): TooManyRequestsError =>
  thrown(TooManyRequestsError, () => checkSelfRevocationAllowance(input));

describe('how many of their own sessions a person may revoke in an hour', () => {
  it(`allows the ${MAX}th in the hour`, () => {
    expect(() =>
      checkSelfRevocationAllowance({ recentRevokedAt: recent(MAX - 1), revoking: 1, now: NOW }),
    ).not.toThrow();
  });

  it('refuses one more with 429 and the seconds until the oldest leaves the hour', () => {
    const refused = refusal({ recentRevokedAt: recent(MAX), revoking: 1, now: NOW });
    expect(refused.retryAfterSeconds).toBe((60 - MAX) * 60);
    expect(refused.message).toMatch(/ask an auditor/);
  });

  it('counts every session one call revokes', () => {
    const refused = refusal({ recentRevokedAt: recent(MAX - 2), revoking: 3, now: NOW });
    // One of the window's revocations must leave it: the oldest.
    expect(refused.retryAfterSeconds).toBe((60 - (MAX - 2)) * 60);
    expect(() =>
      checkSelfRevocationAllowance({ recentRevokedAt: recent(MAX - 3), revoking: 3, now: NOW }),
    ).not.toThrow();
  });

  it('counts revocations of the same second each', () => {
    expect(() =>
      checkSelfRevocationAllowance({
        recentRevokedAt: Array(MAX).fill(minutesAgo(5)),
        revoking: 1,
        now: NOW,
      }),
    ).toThrow(TooManyRequestsError);
  });

  it('forgets revocations older than the hour', () => {
    const old = Array.from({ length: 3 * MAX }, (_, i) => minutesAgo(61 + i));
    expect(() => checkSelfRevocationAllowance({ recentRevokedAt: old, revoking: 1, now: NOW })).not.toThrow();
  });
});
