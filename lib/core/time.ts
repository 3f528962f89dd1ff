/** Time as the API writes it: RFC 3339 UTC to the second (`2026-11-28T12:00:00Z`). */
export const toApiTime = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;
