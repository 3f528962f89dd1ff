/**
 * Every configured issuer's JWKS, fetched from the issuer and kept in the requests table (lib/
 * adapters/jwks-store.ts, one item per issuer), so that a vend function's cold start reads it with one
 * GetItem instead of a round trip to the issuer. Run on a schedule well inside the stored set's
 * maximum age (JWKS_MAX_AGE_MS): a key an issuer withdrew leaves the store at the next run.
 */
import { fetchIssuerJwks } from '../adapters/auth.ts';
import { createJwksStore } from '../adapters/jwks-store.ts';
import type { Metrics } from '../adapters/metrics.ts';
import type { RequestsTable } from '../adapters/requests-table.ts';
import type { IssuerSettings } from '../config.ts';

export interface RefreshIssuerKeysDeps {
  /** Every trusted issuer, the primary one first (Config's `issuers`). */
  config: { issuers: ReadonlyArray<Pick<IssuerSettings, 'name' | 'issuer' | 'jwksUri'>> };
  requests: Pick<RequestsTable, 'client' | 'tableName'>;
  metrics?: Metrics;
}

/** One issuer's run: its keys counted and stored, or why not (its keys in the store are left as they were). */
export type IssuerRefresh =
  | { name: string; issuer: string; ok: true; keys: number; stored: boolean; jwksUri: string }
  | { name: string; issuer: string; ok: false; error: unknown };

/**
 * For each issuer, independently and at the same time: fetches its JWKS (discovery unless its
 * jwksUri is set; no redirect followed; public asymmetric keys only) and stores it unless a newer set
 * is there. One issuer's outage (or a failed write of its item) is that issuer's result, never the
 * others': every issuer gets its run, and the results come back in the issuers' order. `stored` is
 * false when the issuer or its jwks_uri is not https (nor loopback http): such a set is never
 * persisted.
 */
export async function refreshIssuerKeys(deps: RefreshIssuerKeysDeps): Promise<IssuerRefresh[]> {
  const store = createJwksStore(deps.requests);
  return Promise.all(
    deps.config.issuers.map(async ({ name, issuer, jwksUri }): Promise<IssuerRefresh> => {
      try {
        const jwks = await fetchIssuerJwks({ issuer, jwksUri }, deps.metrics);
        const stored = await store.write(jwks);
        return { name, issuer, ok: true, keys: jwks.jwks.keys.length, stored, jwksUri: jwks.jwksUri };
      } catch (error) {
        return { name, issuer, ok: false, error };
      }
    }),
  );
}
