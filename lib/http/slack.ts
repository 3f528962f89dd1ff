/**
 * Slack's requests as the routes receive them: the raw body exactly as sent (the signature covers its
 * bytes; API Gateway may hand it over base64-encoded), at most 64 KiB, form-encoded; and the answer
 * Slack expects (a JSON body, or an empty 200).
 */
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.ts';
import type { SlackAnswer, SlackHttpRequest } from '../use-cases/slack-interactions.ts';
import type { HttpEvent, HttpResult } from './types.ts';

/** Slack's payloads (a message's blocks, a modal's state) are larger than the API's JSON bodies. */
export const SLACK_BODY_LIMIT = 64 * 1024;

/** A header by name, whatever its case (HTTP APIs lower-case them; other front doors may not). */
function header(event: HttpEvent<unknown>, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {}))
    if (key.toLowerCase() === name) return value;
  return undefined;
}

export function slackRequest(event: HttpEvent<unknown>): SlackHttpRequest {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > SLACK_BODY_LIMIT)
    throw new PayloadTooLargeError(`the body is over ${SLACK_BODY_LIMIT} bytes`);
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new UnsupportedMediaTypeError('Slack sends application/x-www-form-urlencoded');
  }
  return {
    timestamp: header(event, 'x-slack-request-timestamp'),
    signature: header(event, 'x-slack-signature'),
    rawBody: bytes.toString('utf8'),
  };
}

export function slackAnswer(answer: SlackAnswer): HttpResult {
  return {
    statusCode: 200,
    headers: { 'Cache-Control': 'no-store' },
    body: answer.body ? JSON.stringify(answer.body) : '',
  };
}
