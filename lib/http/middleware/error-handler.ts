/**
 * Middleware: an error becomes API.md's JSON error through the one error table (lib/http/errors.ts).
 * Anything at or above 500 is logged with its detail, which never reaches the caller; refusals of
 * identity or permission are logged as `access.denied`.
 */

import type { MiddlewareObj } from '@middy/core';
import type { Metrics } from '../../adapters/metrics.ts';
import { AuditEvent, LogEvent } from '../../audit-events.ts';
import { describeError, log } from '../../log.ts';
import { mapError } from '../errors.ts';
import type { HttpEvent, HttpResult, RouteContext } from '../types.ts';
import { tokenRefusal } from './authenticate.ts';

export function errorHandler(metrics: Metrics): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  return {
    onError: (request) => {
      request.event.hallpass ??= { requestId: crypto.randomUUID() } as RouteContext<unknown>;
      const mapped = mapError(request.error, request.event.hallpass.requestId);
      const fields = {
        requestId: request.event.hallpass.requestId,
        route: request.event.routeKey,
        status: mapped.status,
      };
      const code = { Code: mapped.body.error.code };
      metrics.count(mapped.status >= 500 ? 'ServerErrors' : 'Refused', code);
      if (mapped.status >= 500) log.error(LogEvent.httpError, { ...fields, ...describeError(request.error) });
      else if (mapped.status === 401 || mapped.status === 403)
        log.warn(AuditEvent.accessDenied, {
          ...fields,
          reason: mapped.body.error.message,
          // A refused token: why (a stable reason) and by which configured issuer.
          ...tokenRefusal(request.error),
        });
      request.response = {
        statusCode: mapped.status,
        headers: mapped.headers,
        body: JSON.stringify(mapped.body),
      };
    },
  };
}
