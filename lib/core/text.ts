/**
 * Characters that free text must not carry: C0 and C1 controls (a NUL ends strings in other tools,
 * an escape sequence repaints a terminal), the Unicode line separators, and the bidirectional
 * marks, embeddings, overrides and isolates, which make text read differently from what it is
 * (`\u202Etxt.exe` shows as `exe.txt`). The API refuses them (lib/schemas.ts); what is shown or
 * forwarded from stored data is stripped of them as well, for records written before that rule.
 */

const CONTROLS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029';
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/** Matches text with any of them, newline and tab included (one-line fields). */
export const UNSAFE_IN_LINE = new RegExp(`[\\t\\n${CONTROLS}${BIDI}]`, 'u');
/** Matches text with any of them except newline and tab (long text). */
export const UNSAFE_IN_TEXT = new RegExp(`[${CONTROLS}${BIDI}]`, 'u');

const UNSAFE_ALL = new RegExp(`[${CONTROLS}${BIDI}]`, 'gu');

/** The text without controls (newline and tab kept) and bidi marks. */
export const stripUnsafe = (text: string): string => text.replace(UNSAFE_ALL, '');

/** Every string in a JSON-like value, stripped; other values as they are. */
export function stripUnsafeDeep<T>(value: T): T {
  if (typeof value === 'string') return stripUnsafe(value) as T;
  if (Array.isArray(value)) return value.map(stripUnsafeDeep) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripUnsafeDeep(v)])) as T;
  }
  return value;
}
