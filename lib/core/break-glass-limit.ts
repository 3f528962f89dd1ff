/**
 * How often one person may break glass: at most `max` break-glass sessions in any window (an hour),
 * so that a stolen on-call token, or a script gone wrong, cannot mint break-glass sessions at will.
 * Pure: the times of their recent break-glass sessions are passed in.
 */
import { TooManyRequestsError } from '../errors.ts';

export const BREAK_GLASS_WINDOW_SECONDS = 3600;

/**
 * Refuses (429, with the seconds until the oldest session in the window leaves it) a break glass
 * that would be the `max + 1`-th in the window; `max` 0 means no limit.
 */
export function checkBreakGlassAllowance(input: {
  recentIssuedAt: readonly string[];
  now: Date;
  max: number;
  windowSeconds?: number;
}): void {
  const { recentIssuedAt, now, max, windowSeconds = BREAK_GLASS_WINDOW_SECONDS } = input;
  if (max === 0) return;
  const windowStart = now.getTime() - windowSeconds * 1000;
  const inWindow = recentIssuedAt
    .map(Date.parse)
    .filter((t) => t > windowStart)
    .sort((a, b) => a - b);
  if (inWindow.length < max) return;
  const oldest = inWindow[inWindow.length - max] as number;
  const retryAfterSeconds = Math.max(1, Math.ceil((oldest + windowSeconds * 1000 - now.getTime()) / 1000));
  throw new TooManyRequestsError(
    `you have broken glass ${inWindow.length} times in the last hour, the most allowed; try again in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}
