/** The load run's report, and how it reads in a terminal. */
import type { InvariantReport } from '../../local/invariants.ts';

export interface LoadReport {
  requests: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  byStatus: Record<string, number>;
  byOperation: Record<string, Record<string, number>>;
  fiveXx: number;
  unexpected: string[];
  races: { vendRaces: number; approvalRaces: number; overConsumed: string[] };
  invariants: InvariantReport;
  ok: boolean;
}

export function formatReport(report: LoadReport): string {
  const lines = [
    `load: ${report.requests} requests at concurrency ${report.concurrency} in ${report.seconds.toFixed(1)} s (${report.perSecond}/s)`,
    `  by status: ${Object.entries(report.byStatus)
      .map(([s, n]) => `${s}=${n}`)
      .join(' ')}`,
    ...Object.entries(report.byOperation)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([op, counts]) =>
          `  ${op.padEnd(32)} ${Object.entries(counts)
            .map(([s, n]) => `${s}=${n}`)
            .join(' ')}`,
      ),
    `  races: ${report.races.vendRaces} raced vends, ${report.races.approvalRaces} raced approvals, ${report.races.overConsumed.length} over-consumed`,
    `  issued ${report.invariants.counts.issued} keys, returned ${report.invariants.counts.returned}, ${report.invariants.counts.sessions} audit records, ${report.invariants.counts.requests} requests, ${report.invariants.counts.consumptions} uses consumed`,
    `  5xx: ${report.fiveXx}; unexpected statuses: ${report.unexpected.length}; invariant violations: ${report.invariants.violations.length}`,
    ...report.unexpected.map((u) => `  unexpected: ${u}`),
    ...report.invariants.violations.map((v) => `  violation: ${v}`),
    ...report.races.overConsumed.map((v) => `  over-consumed: ${v}`),
    report.ok ? 'load: OK' : 'load: FAILED',
  ];
  return lines.join('\n');
}
