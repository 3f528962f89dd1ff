/**
 * The cold-start cost of the metrics library alone: a function that imports hallpass's metrics
 * adapter (Powertools Metrics), counts one vend and flushes, bundled as the functions are. The
 * bench compares it with empty-function.ts.
 */
import { createMetrics } from '../lib/adapters/metrics.ts';

const metrics = createMetrics();

export async function handler(): Promise<{ statusCode: number }> {
  metrics.count('CredentialsIssued', { Entitlement: 'bench', Path: 'direct' });
  metrics.latency('sts', 'AssumeRole', 1);
  metrics.flush();
  return { statusCode: 200 };
}
