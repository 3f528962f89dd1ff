/**
 * The ids' random bytes come from a block the CSPRNG fills (lib/core/ids.ts): each byte is used
 * once, in order, and a block is refilled when the next id would not fit. The CSPRNG is replaced
 * here by a fill whose bytes say where they are, so the exact ids can be predicted.
 */
import { describe, expect, it, vi } from 'vitest';

const fills = vi.hoisted(() => ({ count: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    // Fill number f puts (position + 7f) mod 256 at each position.
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i + 7 * fills.count) % 256;
      fills.count++;
      return buffer;
    },
  };
});

const { newRequestId, newSessionId } = await import('../../../lib/core/ids.ts');

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** The characters that `count` bytes of fill `fill` from `position` on encode to. */
const expected = (fill: number, position: number, count: number): string =>
  Array.from({ length: count }, (_, k) => BASE32[(position + k + 7 * fill) % 32]).join('');

describe('the random bytes of ids', () => {
  it('uses each byte of a block once, in order, and refills when the next id would not fit', () => {
    // 341 request ids take 12 bytes each: 4092 of the block's 4096.
    const requestIds = Array.from({ length: 341 }, () => newRequestId(new Date(0)));
    // A session id needs 16: the 4 left are not enough, so a new block.
    const sessionId = newSessionId();

    expect(fills.count).toBe(2);
    requestIds.forEach((id, n) => {
      expect(id.slice(11)).toBe(expected(0, 12 * n, 12));
    });
    expect(sessionId).toBe(expected(1, 0, 16));
    // The next one follows it in the same block.
    expect(newSessionId()).toBe(expected(1, 16, 16));
    expect(fills.count).toBe(2);
  });
});
