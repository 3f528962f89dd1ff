/**
 * Where hallpass itself refuses a caller over its rate (the per-principal break-glass limit), the
 * response is API.md's: 429, the JSON error body with `too_many_requests`, and `Retry-After`.
 */
import { describe, expect, it } from 'vitest';
import { TooManyRequestsError } from '../../../lib/errors.ts';
import { mapError } from '../../../lib/http/errors.ts';

describe('mapError for a caller over its rate', () => {
  it('is 429 too_many_requests with Retry-After', () => {
    const error = new TooManyRequestsError('too many break-glass sessions in the last hour', {
      retryAfterSeconds: 1200,
    });
    expect(error.name).toBe('TooManyRequestsError');
    expect(mapError(error, 'req-1')).toEqual({
      status: 429,
      headers: { 'Retry-After': '1200' },
      body: {
        error: {
          code: 'too_many_requests',
          message: 'too many break-glass sessions in the last hour',
          requestId: 'req-1',
        },
      },
    });
  });

  it('says when to retry even without a hint: one second', () => {
    expect(mapError(new TooManyRequestsError('slow down'), 'req-2').headers).toEqual({ 'Retry-After': '1' });
  });
});
