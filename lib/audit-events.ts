/** Stable ids of audit events and log lines: dashboards, alarms and SIEM rules key on these. */
export const AuditEvent = {
  credentialsIssued: 'credentials.issued',
  credentialsUnaudited: 'credentials.unaudited',
  accessDenied: 'access.denied',
  requestCreated: 'request.created',
  requestApproved: 'request.approved',
  requestDenied: 'request.denied',
  requestCancelled: 'request.cancelled',
  requestExpired: 'request.expired',
  sessionReviewed: 'session.reviewed',
  // A live session denied by its role's revocation policy (issue 14): one event per session.
  sessionRevoked: 'session.revoked',
  // A session's own principal could not revoke it: the role's deny policy is full, and only an
  // auditor's revocation may fall back to denying every session of the role.
  sessionRevocationRefused: 'session.revocation-refused',
  // The follow-up check of a revocation: when a canary session of the role was seen denied.
  sessionRevocationObserved: 'session.revocation-observed',
  breakGlassReminder: 'break-glass.reminder',
} as const;

export type AuditEventId = (typeof AuditEvent)[keyof typeof AuditEvent];

/** Stable ids of operational log lines (not audit records): alarms and dashboards key on these. */
export const LogEvent = {
  httpRequest: 'http.request',
  httpError: 'http.error',
  auditEventUnwritten: 'audit.event_unwritten',
  requestUnissuedUnrecorded: 'request.unissued_unrecorded',
  notificationSent: 'notification.sent',
  notificationFailed: 'notification.failed',
  breakGlassReminders: 'break-glass.reminders',
  // The audit-tampering alarm's metric filter (serverless.yml) counts these lines.
  auditTampered: 'audit.tampered',
  // A console sign-in URL was handed out for an audited session (the URL itself is never logged),
  // or the federation endpoint failed after the session was issued and audited.
  consoleSignInIssued: 'console.signin_issued',
  consoleSignInFailed: 'console.signin_failed',
} as const;
