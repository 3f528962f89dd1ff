/**
 * The issuer's JWKS, fetched from the issuer and kept in the requests table (lib/adapters/
 * jwks-store.ts), so that a vend function's cold start reads it with one GetItem instead of a round
 * trip to the issuer. Run on a schedule well inside the stored set's maximum age (JWKS_MAX_AGE_MS):
 * a key the issuer withdrew leaves the store at the next run.
 */
import { fetchIssuerJwks } from '../adapters/auth.ts';
import { createJwksStore } from '../adapters/jwks-store.ts';
import type { Metrics } from '../adapters/metrics.ts';
import type { RequestsTable } from '../adapters/requests-table.ts';
import type { Config } from '../config.ts';

export interface RefreshIssuerKeysDeps {
  config: Pick<Config, 'issuer' | 'jwksUri'>;
  requests: Pick<RequestsTable, 'client' | 'tableName'>;
  metrics?: Metrics;
}

/**
 * Fetches the JWKS (discovery unless HALLPASS_JWKS_URI is set; no redirect followed; public
 * asymmetric keys only) and stores it unless a newer set is there. `stored` is false when the
 * issuer or its jwks_uri is not https (nor loopback http): such a set is never persisted.
 */
export async function refreshIssuerKeys(
  deps: RefreshIssuerKeysDeps,
): Promise<{ keys: number; stored: boolean; jwksUri: string }> {
  const jwks = await fetchIssuerJwks(deps.config, deps.metrics);
  const stored = await createJwksStore(deps.requests).write(jwks);
  return { keys: jwks.jwks.keys.length, stored, jwksUri: jwks.jwksUri };
}
