/** Time as the API writes it: RFC 3339 UTC to the second (`2026-11-28T12:00:00Z`). */
export const toApiTime = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;

/**
 * A monotonic clock in milliseconds, for durations (latency metrics, time budgets). process.hrtime
 * rather than the global `performance`, whose first use loads Node's perf_hooks (about 1.5 ms of a
 * cold start, bench/README.md "History").
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Waits `ms` on the global timer: not node:timers/promises, which would load at every cold start of
 * the functions that bundle a wait only a contended write makes.
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
