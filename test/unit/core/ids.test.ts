import { describe, expect, it } from 'vitest';
import { isRequestId, newRequestId, newSessionId } from '../../../lib/core/ids.ts';
import { seededRandom } from '../fixtures.ts';

const NOW = new Date('2030-01-15T12:00:00.000Z');
const at = (ms: number): Date => new Date(ms);
const REQUEST_ID = /^r[a-z2-7]{22}$/;
const YEAR_MS = 365 * 86400 * 1000;

/** Whether `ids` are in strictly increasing order as plain strings (the order a sort key gives). */
function strictlyAscending(ids: readonly string[]): boolean {
  return ids.every((id, i) => i === 0 || (ids[i - 1] as string) < id);
}

describe('newRequestId', () => {
  it('is r followed by 22 lowercase base32 characters', () => {
    const id = newRequestId(NOW);

    expect(id).toMatch(REQUEST_ID);
  });

  it('is r followed by 22 lowercase base32 characters at the epoch and far in the future', () => {
    const ids = [at(0), at(Date.parse('9999-12-31T23:59:59.999Z'))].map(newRequestId);

    for (const id of ids) expect(id).toMatch(REQUEST_ID);
  });

  it('has the shape isRequestId accepts, which no other item of the requests table has', () => {
    const ids = [at(0), NOW, at(Date.parse('9999-12-31T23:59:59.999Z'))].map(newRequestId);

    expect(ids.map(isRequestId)).toEqual([true, true, true]);
    expect(
      ['meta#cursor-key', 'meta#jwks#abc', 'revocation-lock#arn:aws:iam::1:role/r', `${ids[1]}x`, 'r'].map(
        isRequestId,
      ),
    ).toEqual([false, false, false, false, false]);
  });

  it('sorts an id made one millisecond later after the earlier one', () => {
    const earlier = newRequestId(at(NOW.getTime()));

    const later = newRequestId(at(NOW.getTime() + 1));

    expect(later > earlier).toBe(true);
  });

  it('sorts ids across a 32-millisecond boundary in time order', () => {
    const boundary = NOW.getTime() - (NOW.getTime() % 32) + 32;

    const ids = [boundary - 2, boundary - 1, boundary, boundary + 1].map((ms) => newRequestId(at(ms)));

    expect(strictlyAscending(ids)).toBe(true);
  });

  it('sorts ids across a 1024-millisecond boundary (a carry into the third character) in time order', () => {
    const boundary = NOW.getTime() - (NOW.getTime() % 1024) + 1024;

    const ids = [boundary - 1, boundary].map((ms) => newRequestId(at(ms)));

    expect(strictlyAscending(ids)).toBe(true);
  });

  it('sorts ids made every millisecond over two seconds in time order', () => {
    const times = Array.from({ length: 2000 }, (_, i) => NOW.getTime() + i);

    const ids = times.map((ms) => newRequestId(at(ms)));

    expect(strictlyAscending(ids)).toBe(true);
  });

  it('sorts ids made years apart in time order', () => {
    const times = [0, 1, 31, 32, NOW.getTime() - 10 * YEAR_MS, NOW.getTime(), NOW.getTime() + 50 * YEAR_MS];

    const ids = times.map((ms) => newRequestId(at(ms)));

    expect(strictlyAscending(ids)).toBe(true);
  });

  it('sorts ids made at random times over a century as their times sort', () => {
    const random = seededRandom(20300115);
    const times = Array.from({ length: 500 }, () => Math.floor(random() * 100 * YEAR_MS) + YEAR_MS);
    const ids = times.map((ms) => ({ ms, id: newRequestId(at(ms)) }));

    const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.ms);

    expect(byId).toEqual([...times].sort((a, b) => a - b));
  });

  it('gives ids made in the same millisecond the same time prefix and different random parts', () => {
    const ids = Array.from({ length: 100 }, () => newRequestId(NOW));

    expect(new Set(ids.map((id) => id.slice(0, 11))).size).toBe(1);
    expect(new Set(ids.map((id) => id.slice(11))).size).toBe(100);
  });
});

describe('newSessionId', () => {
  it('is 16 lowercase base32 characters', () => {
    const id = newSessionId();

    expect(id).toMatch(/^[a-z2-7]{16}$/);
  });

  it('differs from one call to the next', () => {
    const ids = Array.from({ length: 100 }, () => newSessionId());

    expect(new Set(ids).size).toBe(100);
  });

  it('stays well formed and distinct over thousands of ids, past each refill of its random bytes', () => {
    const ids = Array.from({ length: 3000 }, () => newSessionId());

    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{16}$/);
    expect(new Set(ids).size).toBe(3000);
  });
});
