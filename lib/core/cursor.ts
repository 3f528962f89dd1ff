/**
 * Opaque, tamper-evident pagination cursors: the position and the query it belongs to, signed with
 * HMAC-SHA256. A modified cursor, or one from another query, is a 400. Pure (the key is passed in).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidRequestError } from '../errors.ts';

export type CursorPayload = Record<string, string | number | null>;

/** The one answer to any cursor that is not exactly one this service issued for this query (400). */
export const invalidCursor = (): InvalidRequestError =>
  new InvalidRequestError('the cursor is invalid', [{ path: 'cursor', message: 'invalid cursor' }]);

const sign = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest('base64url');

export function encodeCursor(payload: CursorPayload, key: Buffer): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(key, body)}`;
}

/**
 * The payload of a cursor that this key signed and whose `binding` fields (the query's own
 * parameters) equal the current query's.
 */
export function decodeCursor(cursor: string, key: Buffer, binding: CursorPayload): CursorPayload {
  const [body, signature, ...rest] = cursor.split('.');
  if (!body || !signature || rest.length) throw invalidCursor();
  const expected = Buffer.from(sign(key, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalidCursor();
  let payload: CursorPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
  } catch {
    throw invalidCursor();
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalidCursor();
  for (const [field, value] of Object.entries(binding)) if (payload[field] !== value) throw invalidCursor();
  return payload;
}
