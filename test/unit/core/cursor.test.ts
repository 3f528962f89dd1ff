import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type CursorPayload, decodeCursor, encodeCursor } from '../../../lib/core/cursor.ts';
import { InvalidRequestError } from '../../../lib/errors.ts';
import { thrown } from '../../support/errors.ts';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const BINDING: CursorPayload = { view: 'mine', status: null, sub: 'alice' };
const PAYLOAD: CursorPayload = { ...BINDING, before: '2030-01-15T12:00:00Z#r234567abcdabcdefghijkl' };

/** A body signed exactly as encodeCursor signs one, for bodies encodeCursor would never make. */
const signedWith = (body: string, key: Buffer = KEY): string =>
  `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;

/** The cursor with the character at `index` replaced by another base64url character. */
function flipAt(cursor: string, index: number): string {
  const replacement = cursor[index] === 'A' ? 'B' : 'A';
  return `${cursor.slice(0, index)}${replacement}${cursor.slice(index + 1)}`;
}

/** The InvalidRequestError that `act` throws, so that its details can be assessed. */
const invalidRequestFrom = (act: () => unknown): InvalidRequestError => thrown(InvalidRequestError, act);

describe('encodeCursor and decodeCursor', () => {
  it('give back the payload that was encoded, under the same binding', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    expect(decodeCursor(cursor, KEY, BINDING)).toEqual(PAYLOAD);
  });

  it('give back numbers and nulls as they were', () => {
    const payload = { view: 'approvable', status: null, sub: 'bob', offset: 42 };
    const cursor = encodeCursor(payload, KEY);

    expect(decodeCursor(cursor, KEY, { view: 'approvable' })).toEqual(payload);
  });

  it('make a cursor that can be put in a query string as it is', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });
});

describe('decodeCursor', () => {
  it('refuses a cursor with a character of its body changed, naming the cursor', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    const error = invalidRequestFrom(() => decodeCursor(flipAt(cursor, 5), KEY, BINDING));

    expect(error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('refuses a cursor with any single character of its body changed', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);
    const bodyLength = cursor.indexOf('.');

    for (let index = 0; index < bodyLength; index++) {
      expect(() => decodeCursor(flipAt(cursor, index), KEY, BINDING), `index ${index}`).toThrow(
        InvalidRequestError,
      );
    }
  });

  it('refuses a cursor with any single character of its signature changed', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);
    const signatureStart = cursor.indexOf('.') + 1;

    for (let index = signatureStart; index < cursor.length; index++) {
      expect(() => decodeCursor(flipAt(cursor, index), KEY, BINDING), `index ${index}`).toThrow(
        InvalidRequestError,
      );
    }
  });

  it('refuses a cursor with a character of its signature changed, naming the cursor', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    const error = invalidRequestFrom(() => decodeCursor(flipAt(cursor, cursor.length - 3), KEY, BINDING));

    expect(error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('refuses a cursor signed with another key', () => {
    const cursor = encodeCursor(PAYLOAD, OTHER_KEY);

    expect(() => decodeCursor(cursor, KEY, BINDING)).toThrow(InvalidRequestError);
  });

  it('refuses a cursor whose signature is cut short', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    expect(() => decodeCursor(cursor.slice(0, -1), KEY, BINDING)).toThrow(InvalidRequestError);
  });

  it('refuses a cursor made for another view', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    expect(() => decodeCursor(cursor, KEY, { ...BINDING, view: 'approvable' })).toThrow(InvalidRequestError);
  });

  it('refuses a cursor made for another status', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    expect(() => decodeCursor(cursor, KEY, { ...BINDING, status: 'pending' })).toThrow(InvalidRequestError);
  });

  it('refuses a cursor made for another caller', () => {
    const cursor = encodeCursor(PAYLOAD, KEY);

    const error = invalidRequestFrom(() => decodeCursor(cursor, KEY, { ...BINDING, sub: 'mallory' }));

    expect(error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('refuses a cursor that lacks a field of the binding', () => {
    const cursor = encodeCursor({ view: 'mine', sub: 'alice', before: 'x' }, KEY);

    expect(() => decodeCursor(cursor, KEY, BINDING)).toThrow(InvalidRequestError);
  });

  it('tells a number from the same digits as a string', () => {
    const cursor = encodeCursor({ ...PAYLOAD, page: 2 }, KEY);

    expect(() => decodeCursor(cursor, KEY, { page: '2' })).toThrow(InvalidRequestError);
  });

  it.each([
    ['the empty string', ''],
    ['a lone dot', '.'],
    ['three parts', 'a.b.c'],
    ['no signature', 'eyJ2aWV3IjoibWluZSJ9'],
    ['no signature after the dot', 'eyJ2aWV3IjoibWluZSJ9.'],
    ['no body before the dot', '.c2lnbmF0dXJl'],
    ['words', 'not a cursor'],
  ])('refuses %s, naming the cursor', (_name, cursor) => {
    const error = invalidRequestFrom(() => decodeCursor(cursor, KEY, BINDING));

    expect(error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('refuses a correctly signed body that is not base64url-encoded JSON', () => {
    const cursor = signedWith('bm90IGpzb24');

    const error = invalidRequestFrom(() => decodeCursor(cursor, KEY, BINDING));

    expect(error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });
});
