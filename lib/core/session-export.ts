/**
 * Sessions as NDJSON (one Session per line, for SIEM ingestion) and CSV (for people). CSV cells that
 * a spreadsheet would run as a formula (=, +, -, @, tab, CR) are prefixed with a quote. Pure.
 */
import type { Session } from './session.ts';

export const CSV_COLUMNS = [
  'id',
  'issuedAt',
  'expiresAt',
  'principalSub',
  'principalName',
  'entitlementId',
  'roleArn',
  'assumedRoleArn',
  'sessionName',
  'sourceIdentity',
  'accessKeyId',
  'durationSeconds',
  'requestId',
  'approvers',
  'breakGlass',
  'reviewStatus',
  'justification',
  'sourceIp',
  'userAgent',
] as const;

function cell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function row(s: Session): string {
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    id: s.id,
    issuedAt: s.issuedAt,
    expiresAt: s.expiresAt,
    principalSub: s.principal.sub,
    principalName: s.principal.name,
    entitlementId: s.entitlementId,
    roleArn: s.roleArn,
    assumedRoleArn: s.assumedRoleArn,
    sessionName: s.sessionName,
    sourceIdentity: s.sourceIdentity,
    accessKeyId: s.accessKeyId,
    durationSeconds: s.durationSeconds,
    requestId: s.requestId,
    approvers: s.approvers.map((a) => a.sub).join(';'),
    breakGlass: s.breakGlass ? 'true' : 'false',
    reviewStatus: s.breakGlass?.review.status ?? null,
    justification: s.breakGlass?.justification ?? null,
    sourceIp: s.client.sourceIp,
    userAgent: s.client.userAgent,
  };
  return CSV_COLUMNS.map((column) => cell(values[column])).join(',');
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;
export const toCsvRows = (sessions: Session[]): string => sessions.map((s) => `${row(s)}\r\n`).join('');
export const toNdjson = (sessions: Session[]): string =>
  sessions.map((s) => `${JSON.stringify(s)}\n`).join('');
