/** Scheduled: every issuer's JWKS, refreshed in the requests table for the vend functions' cold starts. */
import { containerDeps } from '../lib/deps.ts';
import { UpstreamUnavailableError } from '../lib/errors.ts';
import { describeError, log } from '../lib/log.ts';
import { refreshIssuerKeys } from '../lib/use-cases/refresh-issuer-keys.ts';

const deps = containerDeps();

type Refreshed = { issuer: string; keys: number; stored: boolean };

export async function handler(): Promise<{ issuers: Refreshed[] }> {
  try {
    const results = await refreshIssuerKeys(deps);
    for (const r of results) {
      if (r.ok)
        log.info('jwks.refreshed', { issuer: r.name, keys: r.keys, stored: r.stored, jwksUri: r.jwksUri });
      else log.error('jwks.refresh_failed', { issuer: r.name, ...describeError(r.error) });
    }
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    // A failed issuer fails the invocation (Lambda's Errors metric), after every other issuer's keys
    // were stored; the next run tries again, and meanwhile the vend functions fetch that issuer's keys
    // themselves once its stored set is too old.
    if (failed.length > 0)
      throw new UpstreamUnavailableError('jwks', `the JWKS of ${failed.join(', ')} could not be refreshed`);
    return {
      issuers: results.flatMap((r) => (r.ok ? [{ issuer: r.name, keys: r.keys, stored: r.stored }] : [])),
    };
  } finally {
    deps.metrics.flush();
  }
}
