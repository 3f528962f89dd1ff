/** Scheduled: the issuer's JWKS, refreshed in the requests table for the vend functions' cold starts. */
import { containerDeps } from '../lib/deps.ts';
import { describeError, log } from '../lib/log.ts';
import { refreshIssuerKeys } from '../lib/use-cases/refresh-issuer-keys.ts';

const deps = containerDeps();

export async function handler(): Promise<{ keys: number; stored: boolean }> {
  try {
    const { keys, stored, jwksUri } = await refreshIssuerKeys(deps);
    log.info('jwks.refreshed', { keys, stored, jwksUri });
    return { keys, stored };
  } catch (error) {
    // A failed run fails the invocation (Lambda's Errors metric); the next one tries again, and
    // meanwhile the vend functions fetch from the issuer themselves once the stored set is too old.
    log.error('jwks.refresh_failed', describeError(error));
    throw error;
  } finally {
    deps.metrics.flush();
  }
}
