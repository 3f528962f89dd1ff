/**
 * Middleware: every response, answer or error, gets the JSON content type (unless it set its own),
 * `X-Content-Type-Options: nosniff` and `X-Request-Id`, and one `http.request` log line with its
 * route, status, caller and time taken.
 */

import type { MiddlewareObj, Request } from '@middy/core';
import { LogEvent } from '../../audit-events.ts';
import { log } from '../../log.ts';
import type { HttpEvent, HttpResult } from '../types.ts';

export function accessLog(): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  const started = new WeakMap<object, number>();
  const finish = ({ event, response }: Request<HttpEvent<unknown>, HttpResult>) => {
    const result = response as HttpResult;
    result.headers = {
      'Content-Type': 'application/json',
      ...result.headers,
      // A browser must never take an answer for another type than the one declared (HTML, script).
      'X-Content-Type-Options': 'nosniff',
      'X-Request-Id': event.hallpass.requestId,
    };
    log.info(LogEvent.httpRequest, {
      requestId: event.hallpass.requestId,
      route: event.routeKey,
      status: result.statusCode,
      principal: event.hallpass.principal?.sub,
      ms: Date.now() - (started.get(event) ?? Date.now()),
    });
  };
  return {
    before: ({ event }) => {
      started.set(event, Date.now());
    },
    after: finish,
    onError: finish,
  };
}
