/**
 * Middleware: the metrics recorded during the invocation are printed once, as EMF lines, after
 * everything else (the outermost middleware: the error handler has counted the answer by then).
 */

import type { MiddlewareObj } from '@middy/core';
import type { Metrics } from '../../adapters/metrics.ts';
import type { HttpEvent, HttpResult } from '../types.ts';

export function flushMetrics(metrics: Metrics): MiddlewareObj<HttpEvent<unknown>, HttpResult> {
  const flush = () => metrics.flush();
  return { after: flush, onError: flush };
}
