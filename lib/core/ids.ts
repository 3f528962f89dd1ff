/** Ids: lowercase base32, valid in every STS field and tag value. */
import { randomFillSync } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
// The same 32 characters in ASCII order, so that encoded times sort as the times do.
const SORTABLE = '234567abcdefghijklmnopqrstuvwxyz';

// Random bytes come from the CSPRNG a block at a time, as Node's own randomUUID takes them: one
// randomFillSync serves 256 session ids, where a randomBytes call per id cost several microseconds
// of every vend. Each byte is used once; the block is refilled when the next id would not fit.
const pool = new Uint8Array(4096);
let used = pool.length;

function randomChars(count: number): string {
  if (used + count > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  let out = '';
  for (let i = used; i < used + count; i++) out += BASE32[(pool[i] as number) & 31];
  used += count;
  return out;
}

/** A session id: 16 random characters (80 bits). */
export const newSessionId = (): string => randomChars(16);

/**
 * Whether `id` has a request id's shape (newRequestId's). No request has another, and the roles that
 * write requests may write no other item of the table (IAM, serverless.yml `requestItemIds`).
 */
export const isRequestId = (id: string): boolean => /^r[a-z2-7]{22}$/.test(id);

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
