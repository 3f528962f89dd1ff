/** Ids: lowercase base32, valid in every STS field and tag value. */
import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
// The same 32 characters in ASCII order, so that encoded times sort as the times do.
const SORTABLE = '234567abcdefghijklmnopqrstuvwxyz';

function randomChars(count: number): string {
  let out = '';
  for (const byte of randomBytes(count)) out += BASE32[byte & 31];
  return out;
}

/** A session id: 16 random characters (80 bits). */
export const newSessionId = (): string => randomChars(16);

/**
 * A request id: `r`, 10 characters of the creation time in milliseconds (so ids sort by creation),
 * then 12 random characters (60 bits).
 */
export function newRequestId(now: Date): string {
  let time = '';
  let ms = now.getTime();
  for (let i = 0; i < 10; i++) {
    time = SORTABLE[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  return `r${time}${randomChars(12)}`;
}
