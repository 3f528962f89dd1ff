/**
 * 4. Audit scale: PLACEHOLDER.
 *
 * To be filled by the audit-query issue: the p50 of the audit query (the route that lists audit
 * records) against an audit table holding 1k and then 100k records, and their ratio
 * (auditScaleRatio = p50 at 100k / p50 at 1k; goal <= 1.5). Until that route exists there is nothing
 * to measure: every figure is null and `pass.auditScaleRatio` is null (not measured, neither passed
 * nor failed). Keep the field names: bench-results.json readers rely on them.
 */
import type { Stack } from './stack.ts';

export interface AuditScaleFigures {
  auditQueryP50Ms: { '1k': number | null; '100k': number | null };
  auditScaleRatio: number | null;
  note: string;
}

export async function measureAuditScale(_stack: Stack): Promise<AuditScaleFigures> {
  return {
    auditQueryP50Ms: { '1k': null, '100k': null },
    auditScaleRatio: null,
    note: 'placeholder: the audit query does not exist yet (audit-query issue)',
  };
}
