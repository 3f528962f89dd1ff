import { describe, expect, it } from 'vitest';
import { checkBreakGlassAllowance } from '../../../lib/core/break-glass-limit.ts';
import { TooManyRequestsError } from '../../../lib/errors.ts';
import { thrown } from '../../support/errors.ts';

const NOW = new Date('2026-11-28T12:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

const refusal = (recentIssuedAt: string[], max: number): TooManyRequestsError =>
  thrown(TooManyRequestsError, () => checkBreakGlassAllowance({ recentIssuedAt, now: NOW, max }));

describe('checkBreakGlassAllowance', () => {
  it('allows fewer than the maximum in the last hour', () => {
    expect(() =>
      checkBreakGlassAllowance({ recentIssuedAt: [ago(5), ago(30)], now: NOW, max: 3 }),
    ).not.toThrow();
  });

  it('refuses the maximum-plus-first, retrying when the oldest in the window leaves it', () => {
    const error = refusal([ago(5), ago(20), ago(50)], 3);

    expect(error.retryAfterSeconds).toBe(10 * 60);
  });

  it('counts only the last hour', () => {
    expect(() =>
      checkBreakGlassAllowance({ recentIssuedAt: [ago(61), ago(90), ago(10)], now: NOW, max: 2 }),
    ).not.toThrow();
  });

  it('waits until the window holds fewer than the maximum when a burst went past it', () => {
    // Four in the window (a burst the index had not yet seen), max 2: three must leave it.
    const error = refusal([ago(1), ago(2), ago(40), ago(50)], 2);

    expect(error.retryAfterSeconds).toBe(58 * 60);
  });

  it('never limits with a maximum of 0', () => {
    expect(() =>
      checkBreakGlassAllowance({
        recentIssuedAt: Array.from({ length: 50 }, (_, i) => ago(i)),
        now: NOW,
        max: 0,
      }),
    ).not.toThrow();
  });
});
