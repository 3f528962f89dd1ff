import { describe, expect, it } from 'vitest';
import {
  ApprovalRequiredError,
  CatalogProblemError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  SelfApprovalError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  UpstreamUnavailableError,
} from '../../../lib/errors.ts';
import { mapError } from '../../../lib/http/errors.ts';

const REQUEST_ID = 'req-abc';

describe('mapError', () => {
  it.each([
    [new InvalidRequestError('bad'), 400, 'invalid_request'],
    [new CatalogProblemError('bad catalog'), 400, 'invalid_request'],
    [new UnauthenticatedError('no token'), 401, 'unauthenticated'],
    [new ForbiddenError('no'), 403, 'forbidden'],
    [new ApprovalRequiredError('approval'), 403, 'approval_required'],
    [new SelfApprovalError('self'), 403, 'self_approval_forbidden'],
    [new NotFoundError('missing'), 404, 'not_found'],
    [new ConflictError('used up'), 409, 'conflict'],
    [new PayloadTooLargeError('big'), 413, 'payload_too_large'],
    [new UnsupportedMediaTypeError('not json'), 415, 'unsupported_media_type'],
    [new UpstreamUnavailableError('sts', 'down'), 503, 'upstream_unavailable'],
  ])('maps %s to %i %s', (error, status, code) => {
    const mapped = mapError(error, REQUEST_ID);

    expect(mapped).toMatchObject({
      status,
      body: { error: { code, message: error.message, requestId: REQUEST_ID } },
    });
  });

  it('adds WWW-Authenticate to a 401', () => {
    const mapped = mapError(new UnauthenticatedError('expired'), REQUEST_ID);

    expect(mapped.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  });

  it('adds Retry-After to a 503', () => {
    const error = new UpstreamUnavailableError('sts', 'throttled', { retryAfterSeconds: 30 });

    const mapped = mapError(error, REQUEST_ID);

    expect(mapped.headers).toEqual({ 'Retry-After': '30' });
  });

  it('defaults Retry-After to 1 second', () => {
    const mapped = mapError(new UpstreamUnavailableError('dynamodb', 'throttled'), REQUEST_ID);

    expect(mapped.headers['Retry-After']).toBe('1');
  });

  it('adds the details of an invalid request', () => {
    const error = new InvalidRequestError('bad', [{ path: 'durationSeconds', message: 'too long' }]);

    const mapped = mapError(error, REQUEST_ID);

    expect(mapped.body.error.details).toEqual([{ path: 'durationSeconds', message: 'too long' }]);
  });

  it('has no details key when an invalid request has none', () => {
    const mapped = mapError(new InvalidRequestError('bad'), REQUEST_ID);

    expect(mapped.body.error).not.toHaveProperty('details');
  });

  it('maps an unknown error to 500 internal', () => {
    const mapped = mapError(new TypeError('x is undefined'), REQUEST_ID);

    expect(mapped).toMatchObject({
      status: 500,
      body: { error: { code: 'internal', requestId: REQUEST_ID } },
    });
  });

  it("never repeats an unknown error's message", () => {
    const mapped = mapError(new Error('secret-access-key=wJalrXUtnFEMI at /var/task/index.js:1'), REQUEST_ID);

    expect(mapped.body.error.message).toBe('An internal error occurred; nothing was issued.');
  });

  it('maps a ConfigError, which no request should see, to 500 internal', () => {
    const mapped = mapError(new ConfigError('invalid catalog: roleArn'), REQUEST_ID);

    expect(mapped.status).toBe(500);
  });

  it('maps a thrown value that is not an Error to 500 internal', () => {
    const mapped = mapError('oops', REQUEST_ID);

    expect(mapped).toMatchObject({ status: 500, headers: {}, body: { error: { code: 'internal' } } });
  });
});
