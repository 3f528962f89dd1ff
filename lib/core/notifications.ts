/**
 * What people are told, and when: a pure mapping from an audit record (as the table's stream, or the
 * local notifier, delivers it) to a notification. One record, at most one notification; its `id` is
 * the record's key, so a receiver can drop the duplicates that at-least-once delivery allows.
 */
import { AuditEvent } from '../audit-events.ts';
import type { Session } from './session.ts';
import { stripUnsafe, stripUnsafeDeep } from './text.ts';

export const DetailType = {
  requestCreated: 'hallpass.request.created',
  requestApproved: 'hallpass.request.approved',
  requestDenied: 'hallpass.request.denied',
  breakGlassIssued: 'hallpass.break-glass.issued',
  breakGlassReminder: 'hallpass.break-glass.review-reminder',
  sessionRevoked: 'hallpass.session.revoked',
  sessionRevocationRefused: 'hallpass.session.revocation-refused',
} as const;

export type Audience = 'approvers' | 'requester' | 'approvers-and-auditors' | 'auditors';

export interface Notification {
  id: string;
  detailType: (typeof DetailType)[keyof typeof DetailType];
  urgent: boolean;
  audience: Audience;
  /** The EventBridge `detail`: documented in the README; never a secret. */
  detail: Record<string, unknown>;
  /** A readable message: who, what, why, until when, and a link. */
  text: string;
}

type Item = Record<string, unknown>;

// Slack's control characters, as its documentation says to escape them.
const SLACK_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
// Slack has no escape for its formatting marks: user text gets look-alikes that format nothing.
const FORMATTING_LOOKALIKES: Record<string, string> = {
  '*': '\u2217',
  _: '\u02cd',
  '~': '\u223c',
  '`': '\u02cb',
};

/**
 * User text (a justification, a reason, a comment, a name) as it may appear in a message: no
 * control or bidi characters, on one line (it cannot start a line of its own), and with no mention,
 * link or formatting (hallpass's bold and links stay hallpass's).
 */
export function userText(value: unknown): string {
  return stripUnsafe(String(value ?? ''))
    .replace(/\s*[\t\n]\s*/g, ' ')
    .trim()
    .replace(/[&<>]/g, (c) => SLACK_ESCAPES[c] ?? c)
    .replace(/[*_~`]/g, (c) => FORMATTING_LOOKALIKES[c] ?? c);
}

const person = (p: unknown) => {
  const { sub, name } = (p ?? {}) as { sub?: string; name?: string };
  const shown = userText(name);
  return shown && name !== sub ? `${shown} (${userText(sub)})` : userText(sub);
};
const link = (base: string | undefined, path: string) => (base ? `${base}${path}` : path);

function forSession(item: Item, s: Session, publicUrl: string | undefined): Notification | null {
  if (!s.breakGlass) return null;
  const detail = stripUnsafeDeep({
    sessionId: s.id,
    principal: { sub: s.principal.sub, name: s.principal.name },
    entitlementId: s.entitlementId,
    roleArn: s.roleArn,
    accessKeyId: s.accessKeyId,
    issuedAt: s.issuedAt,
    expiresAt: s.expiresAt,
    justification: s.breakGlass.justification,
    link: link(publicUrl, `/sessions/${s.id}`),
  });
  return {
    id: String(item.pk),
    detailType: DetailType.breakGlassIssued,
    urgent: true,
    audience: 'approvers-and-auditors',
    detail,
    text:
      `:rotating_light: *Break glass*: ${person(s.principal)} took *${s.entitlementId}* (${s.roleArn}) ` +
      `until ${s.expiresAt}.\nWhy: ${userText(s.breakGlass.justification)}\n` +
      `Review it (auditors): POST ${detail.link}/review\nAccessKeyId for CloudTrail: ${s.accessKeyId}`,
  };
}

/** The notification for one new audit record, or null when it warrants none. */
export function notificationFor(item: Item, publicUrl?: string): Notification | null {
  if (item.kind === 'session') return forSession(item, item.record as Session, publicUrl);
  if (item.kind !== 'event') return null;
  const details = (item.details ?? {}) as Record<string, unknown>;
  const requestId = item.requestId as string | undefined;
  const base = {
    id: String(item.pk),
    detail: stripUnsafeDeep({
      requestId: requestId ?? null,
      entitlementId: item.entitlementId,
      requester: item.principalSub,
      actor: item.actor,
      at: item.issuedAt,
      ...details,
      link: link(publicUrl, requestId ? `/requests/${requestId}` : `/sessions/${details.sessionId ?? ''}`),
    }),
  };
  const where = `*${String(item.entitlementId)}*`;
  switch (item.event) {
    case AuditEvent.requestCreated:
      if (details.approvalRequired === false) return null;
      return {
        ...base,
        detailType: DetailType.requestCreated,
        urgent: false,
        audience: 'approvers',
        text:
          `${person(item.actor)} asks for ${where} for ${details.durationSeconds} s` +
          `${details.justification ? `: ${userText(details.justification)}` : ''}.\nDecide: ${base.detail.link}`,
      };
    case AuditEvent.requestApproved:
      if (details.quorumReached !== true) return null;
      return {
        ...base,
        detailType: DetailType.requestApproved,
        urgent: false,
        audience: 'requester',
        text:
          `Your request for ${where} was approved by ${person(item.actor)}` +
          `${details.comment ? `: ${userText(details.comment)}` : ''}. Use it: ${base.detail.link}`,
      };
    case AuditEvent.requestDenied:
      return {
        ...base,
        detailType: DetailType.requestDenied,
        urgent: false,
        audience: 'requester',
        text: `Your request for ${where} was denied by ${person(item.actor)}: ${userText(details.reason)}`,
      };
    case AuditEvent.sessionRevoked:
      return {
        ...base,
        detailType: DetailType.sessionRevoked,
        urgent: true,
        audience: 'approvers-and-auditors',
        text:
          `:no_entry: ${person(item.actor)} revoked session ${userText(details.sessionId)} of ` +
          `${userText(item.principalSub)} on ${where} (${userText(details.roleArn)}): ${userText(details.reason)}` +
          `${details.roleWideFallback === true ? "\nThe role's deny policy was full: every session of the role issued before now is denied." : ''}` +
          `\nAccessKeyId for CloudTrail: ${userText(details.accessKeyId)}`,
      };
    case AuditEvent.sessionRevocationRefused:
      // Only an auditor may now revoke the session (the role's deny policy is full): tell them.
      return {
        ...base,
        detailType: DetailType.sessionRevocationRefused,
        urgent: true,
        audience: 'auditors',
        text:
          `:warning: ${person(item.actor)} could not revoke session ${userText(details.sessionId)} of ` +
          `${userText(item.principalSub)} on ${where} (${userText(details.roleArn)}): the role's deny policy is full. ` +
          'Only an auditor may revoke it now, and that denies every session of the role issued before then.' +
          `\nAccessKeyId for CloudTrail: ${userText(details.accessKeyId)}`,
      };
    case AuditEvent.breakGlassReminder:
      return {
        ...base,
        detailType: DetailType.breakGlassReminder,
        urgent: true,
        audience: 'auditors',
        text:
          `:warning: Break-glass session ${details.sessionId} of ${userText(item.principalSub)} on ${where} ` +
          `(issued ${details.issuedAt}) is still unreviewed. Review it: POST ${base.detail.link}/review`,
      };
    default:
      return null;
  }
}
