/**
 * Middleware: the body as a strictly validated object in `event.hallpass.body`. Refuses bodies over
 * 16 KiB (413), bodies that are not JSON (415), malformed JSON and keys that reach for prototypes
 * (400), and anything the schema does not describe exactly (400, with details).
 */
import type { MiddlewareObj } from '@middy/core';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors.ts';
import type * as z from '../../zod.ts';
import type { HttpEvent, HttpResult } from '../types.ts';

export const MAX_BODY_BYTES = 16 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function headerValue(
  headers: Record<string, string | undefined> | undefined,
  name: string,
): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers?.[key];
}

const MAX_DEPTH = 32;

/** The path of a key that reaches for a prototype, walking at most MAX_DEPTH levels deep. */
function findPrototypeKey(value: unknown, path: string[] = []): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (path.length >= MAX_DEPTH) {
    throw new InvalidRequestError(`the body is nested more than ${MAX_DEPTH} levels deep`);
  }
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) return [...path, key].join('.');
    const found = findPrototypeKey((value as Record<string, unknown>)[key], [...path, key]);
    if (found) return found;
  }
  return null;
}

/** zod issues as API.md's details: one `{path, message}` per problem, one per unknown field. */
export function detailsOf(error: z.core.$ZodError): Array<{ path: string; message: string }> {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown field' }));
    }
    return [{ path, message: issue.message }];
  });
}

export function parseJsonBody(event: HttpEvent<unknown>, allowEmpty: boolean): unknown {
  const raw = event.body ?? '';
  const bytes = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > MAX_BODY_BYTES)
    throw new PayloadTooLargeError(`the body is over ${MAX_BODY_BYTES} bytes`);
  if (bytes.length === 0) {
    if (allowEmpty) return {};
    throw new InvalidRequestError('a JSON body is required');
  }
  if (!JSON_MEDIA_TYPE.test(headerValue(event.headers, 'content-type') ?? '')) {
    throw new UnsupportedMediaTypeError('the body must be JSON (Content-Type: application/json)');
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidRequestError('the body is not valid JSON');
  }
  const prototypeKey = findPrototypeKey(value);
  if (prototypeKey)
    throw new InvalidRequestError('the body has a forbidden key', [
      { path: prototypeKey, message: 'forbidden key' },
    ]);
  return value;
}

export function jsonBody(
  schema: z.ZodMiniType,
  options: { allowEmpty: boolean },
): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  return {
    before: ({ event }) => {
      const result = schema.safeParse(parseJsonBody(event, options.allowEmpty));
      if (!result.success)
        throw new InvalidRequestError('the body is not valid for this route', detailsOf(result.error));
      event.hallpass.body = result.data;
    },
  };
}
