import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { describeError, log } from '../../lib/log.ts';

let stdout: MockInstance<typeof console.log>;
let stderr: MockInstance<typeof console.error>;

beforeEach(() => {
  stdout = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The one line written to stdout, parsed. */
function lineOut(): Record<string, unknown> {
  expect(stdout).toHaveBeenCalledTimes(1);
  return JSON.parse(String(stdout.mock.calls[0]?.[0]));
}

describe('log', () => {
  it('writes one JSON line with level, event and time', () => {
    log.info('credentials.issued', { sessionId: 's1' });

    expect(lineOut()).toEqual({
      level: 'info',
      event: 'credentials.issued',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sessionId: 's1',
    });
  });

  it('writes errors to stderr', () => {
    log.error('credentials.unaudited', { sessionId: 's1' });

    expect(JSON.parse(String(stderr.mock.calls[0]?.[0]))).toMatchObject({ level: 'error', sessionId: 's1' });
  });

  it('redacts secretAccessKey, sessionToken and authorization at the top level', () => {
    log.info('x', { secretAccessKey: 'S3CR3T', sessionToken: 'T0K3N', authorization: 'Bearer abc' });

    expect(lineOut()).toMatchObject({
      secretAccessKey: '[redacted]',
      sessionToken: '[redacted]',
      authorization: '[redacted]',
    });
  });

  it('redacts whatever the case of the field name', () => {
    log.info('x', { Authorization: 'Bearer abc', SessionToken: 'T0K3N', SECRET: 'S3CR3T' });

    expect(lineOut()).toMatchObject({
      Authorization: '[redacted]',
      SessionToken: '[redacted]',
      SECRET: '[redacted]',
    });
  });

  it('redacts inside nested objects', () => {
    log.info('x', { request: { headers: { authorization: 'Bearer abc', host: 'api' } } });

    expect(lineOut()).toMatchObject({ request: { headers: { authorization: '[redacted]', host: 'api' } } });
  });

  it('redacts inside arrays', () => {
    log.info('x', { sessions: [{ accessKeyId: 'ASIA1', sessionToken: 'T0K3N' }] });

    expect(lineOut()).toMatchObject({ sessions: [{ accessKeyId: 'ASIA1', sessionToken: '[redacted]' }] });
  });

  it('redacts a whole credentials object', () => {
    log.info('x', { credentials: { accessKeyId: 'ASIA1', secretAccessKey: 'S3CR3T' } });

    expect(lineOut()).toMatchObject({ credentials: '[redacted]' });
  });

  it('redacts a secret nested five levels deep', () => {
    log.info('x', { a: { b: { c: { d: { e: { sessionToken: 'T0K3N' } } } } } });

    expect(String(stdout.mock.calls[0]?.[0])).not.toContain('T0K3N');
  });

  it('keeps the AccessKeyId, which CloudTrail logs anyway', () => {
    log.info('x', { accessKeyId: 'ASIA1' });

    expect(lineOut()).toMatchObject({ accessKeyId: 'ASIA1' });
  });
});

describe('describeError', () => {
  it("gives an error's class and message, and its cause's", () => {
    const error = new Error('outer', { cause: new TypeError('inner') });

    expect(describeError(error)).toEqual({ error: 'Error', message: 'outer', cause: 'TypeError: inner' });
  });
});

describe('deeply nested fields', () => {
  it('never prints a secret nested deeper than it inspects', () => {
    log.info('x', { a: { b: { c: { d: { e: { f: { g: { sessionToken: 'T0K3N' } } } } } } } });

    expect(String(stdout.mock.calls[0]?.[0])).not.toContain('T0K3N');
  });
});
