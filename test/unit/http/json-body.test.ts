import { describe, expect, it } from 'vitest';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../../lib/errors.ts';
import { detailsOf, MAX_BODY_BYTES, parseJsonBody } from '../../../lib/http/middleware/json-body.ts';
import type { HttpEvent } from '../../../lib/http/types.ts';
import { VendRequest } from '../../../lib/schemas.ts';

function event(
  body: string | undefined,
  options: { contentType?: string; header?: string; base64?: boolean } = {},
): HttpEvent<unknown> {
  const { contentType = 'application/json', header = 'content-type', base64 = false } = options;
  return {
    body,
    isBase64Encoded: base64,
    headers: contentType === '' ? {} : { [header]: contentType },
  } as unknown as HttpEvent<unknown>;
}

/** A JSON object whose UTF-8 text is exactly `bytes` bytes long. */
function jsonOfBytes(bytes: number): string {
  return JSON.stringify({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });
}

/** The error `parse` throws (fails the test if it throws none). */
function thrownBy(parse: () => unknown): unknown {
  try {
    parse();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('parseJsonBody', () => {
  it('parses a JSON object', () => {
    expect(parseJsonBody(event('{"entitlementId":"sandbox-readonly"}'), false)).toEqual({
      entitlementId: 'sandbox-readonly',
    });
  });

  it('accepts a body of exactly 16384 bytes', () => {
    const body = jsonOfBytes(16384);

    expect(parseJsonBody(event(body), false)).toEqual(JSON.parse(body));
  });

  it('refuses a body of 16385 bytes', () => {
    expect(() => parseJsonBody(event(jsonOfBytes(16385)), false)).toThrow(PayloadTooLargeError);
  });

  it('counts bytes, not characters', () => {
    const body = JSON.stringify({ pad: 'é'.repeat(MAX_BODY_BYTES / 2) });

    expect(() => parseJsonBody(event(body), false)).toThrow(PayloadTooLargeError);
  });

  it('decodes a base64 body', () => {
    const body = Buffer.from('{"entitlementId":"sandbox-readonly"}').toString('base64');

    expect(parseJsonBody(event(body, { base64: true }), false)).toEqual({
      entitlementId: 'sandbox-readonly',
    });
  });

  it('measures a base64 body after decoding it', () => {
    const body = Buffer.from(jsonOfBytes(16384)).toString('base64');

    expect(parseJsonBody(event(body, { base64: true }), false)).toHaveProperty('pad');
  });

  it('refuses a base64 body that decodes to 16385 bytes', () => {
    const body = Buffer.from(jsonOfBytes(16385)).toString('base64');

    expect(() => parseJsonBody(event(body, { base64: true }), false)).toThrow(PayloadTooLargeError);
  });

  it('accepts application/json with a charset', () => {
    const parsed = parseJsonBody(event('{"a":1}', { contentType: 'application/json; charset=utf-8' }), false);

    expect(parsed).toEqual({ a: 1 });
  });

  it('accepts application/merge-patch+json', () => {
    const parsed = parseJsonBody(event('{"a":1}', { contentType: 'application/merge-patch+json' }), false);

    expect(parsed).toEqual({ a: 1 });
  });

  it('reads the Content-Type header whatever its case', () => {
    const parsed = parseJsonBody(
      event('{"a":1}', { header: 'Content-Type', contentType: 'Application/JSON' }),
      false,
    );

    expect(parsed).toEqual({ a: 1 });
  });

  it('refuses text/plain', () => {
    expect(() => parseJsonBody(event('{"a":1}', { contentType: 'text/plain' }), false)).toThrow(
      UnsupportedMediaTypeError,
    );
  });

  it('refuses a body without a Content-Type', () => {
    expect(() => parseJsonBody(event('{"a":1}', { contentType: '' }), false)).toThrow(
      UnsupportedMediaTypeError,
    );
  });

  it('refuses a media type that only starts with json', () => {
    expect(() => parseJsonBody(event('{"a":1}', { contentType: 'application/jsonp' }), false)).toThrow(
      UnsupportedMediaTypeError,
    );
  });

  it('gives an empty object for an empty body where one is allowed', () => {
    expect(parseJsonBody(event(undefined), true)).toEqual({});
  });

  it('refuses an empty body where one is required', () => {
    expect(() => parseJsonBody(event(''), false)).toThrow(InvalidRequestError);
  });

  it('refuses malformed JSON', () => {
    expect(() => parseJsonBody(event('{"a":'), false)).toThrow(InvalidRequestError);
  });

  it('refuses a top-level __proto__ key, naming it', () => {
    const error = thrownBy(() => parseJsonBody(event('{"__proto__":{"admin":true}}'), false));

    expect(error).toMatchObject({ details: [{ path: '__proto__', message: 'forbidden key' }] });
  });

  it('refuses a nested constructor key, naming its path', () => {
    const error = thrownBy(() => parseJsonBody(event('{"breakGlass":{"constructor":{}}}'), false));

    expect(error).toMatchObject({ details: [{ path: 'breakGlass.constructor', message: 'forbidden key' }] });
  });

  it('refuses a __proto__ key inside an array, naming its path', () => {
    const error = thrownBy(() => parseJsonBody(event('{"items":[{"ok":1},{"__proto__":{}}]}'), false));

    expect(error).toMatchObject({ details: [{ path: 'items.1.__proto__', message: 'forbidden key' }] });
  });

  it('refuses a prototype key as an invalid request', () => {
    expect(() => parseJsonBody(event('{"a":{"prototype":1}}'), false)).toThrow(InvalidRequestError);
  });
});

describe('detailsOf', () => {
  it('gives one detail per unknown field', () => {
    const result = VendRequest.safeParse({ entitlementId: 'x', tags: {}, roleArn: 'arn' });

    expect(result.success ? [] : detailsOf(result.error)).toEqual([
      { path: 'tags', message: 'unknown field' },
      { path: 'roleArn', message: 'unknown field' },
    ]);
  });

  it('names the path of a nested unknown field', () => {
    const result = VendRequest.safeParse({
      entitlementId: 'x',
      breakGlass: { justification: 'a long enough justification', sessionName: 'evil' },
    });

    expect(result.success ? [] : detailsOf(result.error)).toEqual([
      { path: 'breakGlass.sessionName', message: 'unknown field' },
    ]);
  });

  it('names the field of an out-of-range value', () => {
    const result = VendRequest.safeParse({ entitlementId: 'x', durationSeconds: 899 });

    expect(result.success ? [] : detailsOf(result.error)).toEqual([
      { path: 'durationSeconds', message: expect.any(String) },
    ]);
  });

  it('names a nested field that is too short', () => {
    const result = VendRequest.safeParse({ entitlementId: 'x', breakGlass: { justification: 'short' } });

    expect(result.success ? [] : detailsOf(result.error).map((detail) => detail.path)).toEqual([
      'breakGlass.justification',
    ]);
  });
});
