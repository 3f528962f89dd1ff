/**
 * Sessions and workflow events as OCSF 1.5.0 records (https://schema.ocsf.io/1.5.0/), for SIEMs that
 * ingest OCSF (Security Lake, Splunk, Sentinel...). Pure.
 *
 * - A session is an **Authentication** event (class 3002, activity Logon): hallpass authenticated a
 *   person (their OIDC token) and opened a session for them in an AWS role. The class's `session`
 *   object holds what detections key on: `credential_uid` is the AccessKeyId that CloudTrail logs
 *   ("For example, AWS Access Key ID", says OCSF), `uid_alt` the assumed-role ARN, and the
 *   created/expiration times. `service` is the role (the target of the logon). Break glass is
 *   severity High, any other issuance Informational.
 * - A workflow event is an **Entity Management** event (class 3004): a change made by a person, or by
 *   hallpass, to a managed entity, here an access request (created: Create; approved, denied,
 *   cancelled, expired: Update) or a break-glass session (reviewed: Update; reminder: Other).
 *   Account Change (3001) is about user accounts (passwords, MFA, policies attached to a user) and
 *   API Activity (6003) requires the caller's endpoint, which hallpass does not store for events and
 *   which does not exist for expiry or reminders: neither fits without invented data.
 *
 * hallpass's own fields that OCSF has no attribute for are kept under `unmapped.hallpass`. A session
 * never holds a secret (lib/core/session.ts), so neither does its record.
 */
import { AuditEvent } from '../audit-events.ts';
import type { Session } from './session.ts';

export const OCSF_VERSION = '1.5.0';

/** An audit event as the audit queries return it (lib/adapters/audit-query.ts AuditEventView). */
export interface WorkflowEvent {
  id: string;
  event: string;
  at: string;
  actor: { sub: string; name: string };
  principal: string;
  requestId: string | null;
  entitlementId: string;
  details: Record<string, unknown>;
}

export type OcsfRecord = Record<string, unknown>;

const IAM = { category_uid: 3, category_name: 'Identity & Access Management' } as const;
const SEVERITY = { 1: 'Informational', 3: 'Medium', 4: 'High' } as const;
const SUCCESS = { status_id: 1, status: 'Success' } as const;
const PRODUCT = { name: 'hallpass', vendor_name: 'hallpass' } as const;

/** The attributes every record shares: class, activity, type, time, severity, metadata. */
function base(
  cls: { uid: number; name: string },
  activity: { id: number; name: string },
  at: string,
  severityId: keyof typeof SEVERITY,
  metadata: { uid: string; eventCode: string; correlation: string | null },
): OcsfRecord {
  return {
    ...IAM,
    class_uid: cls.uid,
    class_name: cls.name,
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: cls.uid * 100 + activity.id,
    type_name: `${cls.name}: ${activity.name}`,
    time: Date.parse(at),
    severity_id: severityId,
    severity: SEVERITY[severityId],
    ...SUCCESS,
    metadata: {
      version: OCSF_VERSION,
      product: PRODUCT,
      uid: metadata.uid,
      event_code: metadata.eventCode,
      ...(metadata.correlation ? { correlation_uid: metadata.correlation } : {}),
    },
  };
}

const person = (sub: string, name: string) => ({ uid: sub, name, type_id: 1, type: 'User' });
const HALLPASS_ACTOR = { sub: 'hallpass', name: 'hallpass' };

/** One issued session as an OCSF Authentication (3002) Logon record. */
export function sessionToOcsf(s: Session): OcsfRecord {
  const user = {
    ...person(s.principal.sub, s.principal.name),
    groups: s.principal.groups.map((name) => ({ name })),
  };
  const glass = s.breakGlass !== null;
  return {
    ...base({ uid: 3002, name: 'Authentication' }, { id: 1, name: 'Logon' }, s.issuedAt, glass ? 4 : 1, {
      uid: s.id,
      eventCode: AuditEvent.credentialsIssued,
      correlation: s.requestId,
    }),
    message: `${s.principal.name} was issued ${glass ? 'break-glass ' : ''}credentials for ${s.entitlementId} (${s.roleArn}) until ${s.expiresAt}`,
    user,
    actor: { user: person(s.principal.sub, s.principal.name), app_name: 'hallpass' },
    auth_protocol_id: 4,
    auth_protocol: 'OpenID',
    is_remote: true,
    service: { name: s.entitlementId, uid: s.roleArn },
    session: {
      uid: s.id,
      uid_alt: s.assumedRoleArn,
      credential_uid: s.accessKeyId,
      created_time: Date.parse(s.issuedAt),
      expiration_time: Date.parse(s.expiresAt),
      issuer: 'hallpass',
      is_remote: true,
    },
    ...(s.client.sourceIp ? { src_endpoint: { ip: s.client.sourceIp } } : {}),
    ...(s.client.userAgent ? { http_request: { user_agent: s.client.userAgent } } : {}),
    unmapped: {
      hallpass: {
        entitlement_id: s.entitlementId,
        role_arn: s.roleArn,
        session_name: s.sessionName,
        source_identity: s.sourceIdentity,
        duration_seconds: s.durationSeconds,
        request_id: s.requestId,
        approvers: s.approvers,
        break_glass: s.breakGlass,
        session_policy: s.sessionPolicy,
        policy_arns: s.policyArns,
        tags: s.tags,
      },
    },
  };
}

/** How each workflow event reads as Entity Management (3004): the activity and the entity. */
const ACTIVITY: Record<string, { id: number; name: string; entity: 'Access Request' | 'Session' }> = {
  [AuditEvent.requestCreated]: { id: 1, name: 'Create', entity: 'Access Request' },
  [AuditEvent.requestApproved]: { id: 3, name: 'Update', entity: 'Access Request' },
  [AuditEvent.requestDenied]: { id: 3, name: 'Update', entity: 'Access Request' },
  [AuditEvent.requestCancelled]: { id: 3, name: 'Update', entity: 'Access Request' },
  [AuditEvent.requestExpired]: { id: 3, name: 'Update', entity: 'Access Request' },
  [AuditEvent.sessionReviewed]: { id: 3, name: 'Update', entity: 'Session' },
  // OCSF's "Other": the activity is named by the source.
  [AuditEvent.breakGlassReminder]: { id: 99, name: 'Remind', entity: 'Session' },
  // Revocation (issue 14): the session's revocation is set; a person's own was refused (an auditor
  // must act); the follow-up check saw the deny applied, or could not.
  [AuditEvent.sessionRevoked]: { id: 3, name: 'Update', entity: 'Session' },
  [AuditEvent.sessionRevocationRefused]: { id: 99, name: 'Refuse', entity: 'Session' },
  [AuditEvent.sessionRevocationObserved]: { id: 99, name: 'Observe', entity: 'Session' },
};

const textOf = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** One workflow event as an OCSF Entity Management (3004) record. */
export function eventToOcsf(e: WorkflowEvent): OcsfRecord {
  const activity = ACTIVITY[e.event] ?? { id: 99, name: e.event, entity: 'Access Request' };
  const sessionId = textOf(e.details.sessionId);
  const onSession = activity.entity === 'Session' && sessionId !== undefined;
  const severity =
    e.event === AuditEvent.breakGlassReminder || e.event === AuditEvent.sessionRevocationRefused
      ? 3
      : e.event === AuditEvent.sessionReviewed && e.details.status === 'unjustified'
        ? 4
        : 1;
  const comment = textOf(e.details.reason) ?? textOf(e.details.comment) ?? textOf(e.details.justification);
  const system = e.actor.sub === HALLPASS_ACTOR.sub;
  const subject = onSession ? `session ${sessionId}` : `request ${e.requestId ?? '(none)'}`;
  return {
    ...base({ uid: 3004, name: 'Entity Management' }, activity, e.at, severity, {
      uid: e.id,
      eventCode: e.event,
      correlation: e.requestId,
    }),
    message: `${e.event}: ${subject} for ${e.entitlementId}, by ${e.actor.name}`,
    actor: system
      ? { user: { uid: e.actor.sub, name: e.actor.name, type_id: 3, type: 'System' }, app_name: 'hallpass' }
      : { user: person(e.actor.sub, e.actor.name), app_name: 'hallpass' },
    entity: {
      type: activity.entity,
      uid: onSession ? sessionId : (e.requestId ?? e.id),
      name: e.entitlementId,
      user: { uid: e.principal },
      data: e.details,
    },
    ...(comment ? { comment } : {}),
    unmapped: {
      hallpass: { event: e.event, request_id: e.requestId, entitlement_id: e.entitlementId },
    },
  };
}

export const toOcsfLines = (records: OcsfRecord[]): string =>
  records.map((r) => `${JSON.stringify(r)}\n`).join('');
