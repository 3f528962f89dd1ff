/**
 * lib/core/ocsf.ts: every kind of record hallpass writes validates against the OCSF 1.5.0
 * definitions of test/fixtures/ocsf, and the validator refuses what OCSF refuses.
 */
import { describe, expect, it } from 'vitest';
import { AuditEvent } from '../../../lib/audit-events.ts';
import { eventToOcsf, sessionToOcsf, type WorkflowEvent } from '../../../lib/core/ocsf.ts';
import type { Session } from '../../../lib/core/session.ts';
import { validateOcsf } from '../../fixtures/ocsf/validate.ts';

const SESSION: Session = {
  id: 'k3v9q2m8x7c4',
  issuedAt: '2026-11-28T03:12:00Z',
  expiresAt: '2026-11-28T03:27:00Z',
  principal: { sub: 'alice', name: 'alice@example.com', groups: ['engineers', 'oncall'] },
  entitlementId: 'prod-admin',
  issuance: 'assume-role',
  roleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin',
  assumedRoleArn: 'arn:aws:sts::222222222222:assumed-role/hallpass-prod-admin/alice.k3v9q2m8x7c4',
  sessionName: 'alice.k3v9q2m8x7c4',
  sourceIdentity: 'alice',
  accessKeyId: 'ASIAEXAMPLE000000001',
  durationSeconds: 900,
  sessionPolicy: null,
  policyArns: [],
  tags: { 'hallpass:session-id': 'k3v9q2m8x7c4', 'hallpass:principal': 'alice' },
  requestId: null,
  approvers: [],
  breakGlass: {
    justification: 'INC-42: payments are down',
    review: { status: 'pending', reviewer: null, at: null, comment: null },
  },
  client: { sourceIp: '203.0.113.7', userAgent: 'aws-cli/2.15' },
};

const event = (name: string, details: Record<string, unknown>, actor = { sub: 'bob', name: 'bob' }) =>
  ({
    id: `${name}#r1#0`,
    event: name,
    at: '2026-11-28T02:00:00Z',
    actor,
    principal: 'alice',
    requestId: 'r1',
    entitlementId: 'prod-admin',
    details,
  }) satisfies WorkflowEvent;

const HALLPASS = { sub: 'hallpass', name: 'hallpass' };
const EVENTS: WorkflowEvent[] = [
  event(AuditEvent.requestCreated, { justification: 'deploy the hotfix', durationSeconds: 900 }, HALLPASS),
  event(AuditEvent.requestApproved, { approvals: 1, minApprovals: 1, comment: 'ok' }),
  event(AuditEvent.requestDenied, { reason: 'not now' }),
  event(AuditEvent.requestCancelled, {}),
  event(AuditEvent.requestExpired, { was: 'pending' }, HALLPASS),
  event(AuditEvent.sessionReviewed, {
    sessionId: 'k3v9q2m8x7c4',
    status: 'unjustified',
    comment: 'no incident',
  }),
  event(AuditEvent.breakGlassReminder, { sessionId: 'k3v9q2m8x7c4', issuedAt: SESSION.issuedAt }, HALLPASS),
];

describe('sessions as OCSF Authentication (3002) records', () => {
  it('validates, with and without a source address and user agent', () => {
    expect(validateOcsf(sessionToOcsf(SESSION))).toEqual([]);
    const bare = { ...SESSION, breakGlass: null, client: { sourceIp: null, userAgent: null } };
    expect(validateOcsf(sessionToOcsf(bare))).toEqual([]);
  });

  it('is a Logon by the person into the role, its credential the AccessKeyId, break glass High', () => {
    const record = sessionToOcsf(SESSION);
    expect(record).toMatchObject({
      class_uid: 3002,
      type_uid: 300201,
      time: Date.parse(SESSION.issuedAt),
      severity_id: 4,
      user: { uid: 'alice', groups: [{ name: 'engineers' }, { name: 'oncall' }] },
      session: { credential_uid: SESSION.accessKeyId, uid_alt: SESSION.assumedRoleArn },
      src_endpoint: { ip: '203.0.113.7' },
    });
    expect(sessionToOcsf({ ...SESSION, breakGlass: null }).severity_id).toBe(1);
  });
});

describe('workflow events as OCSF Entity Management (3004) records', () => {
  it.each(EVENTS.map((e) => [e.event, e] as const))('%s validates', (_, e) => {
    expect(validateOcsf(eventToOcsf(e))).toEqual([]);
  });

  it('creates and updates the access request; a review updates the session', () => {
    const [created, approved, , , , reviewed, reminder] = EVENTS.map(eventToOcsf);
    expect(created).toMatchObject({ activity_id: 1, entity: { type: 'Access Request', uid: 'r1' } });
    expect(approved).toMatchObject({ activity_id: 3, type_uid: 300403, comment: 'ok' });
    expect(reviewed).toMatchObject({
      activity_id: 3,
      severity_id: 4,
      entity: { type: 'Session', uid: 'k3v9q2m8x7c4' },
    });
    expect(reminder).toMatchObject({ activity_id: 99, activity_name: 'Remind', severity_id: 3 });
  });
});

describe('the validator', () => {
  const good = sessionToOcsf(SESSION);
  it.each([
    ['a wrong type_uid', { ...good, type_uid: 300202 }, 'type_uid'],
    ['a missing user', { ...good, user: undefined }, 'user: required'],
    ['an unknown attribute', { ...good, accessKey: 'x' }, 'accessKey'],
    ['a time in seconds', { ...good, time: 1_796_267_830 }, 'epoch milliseconds'],
    ['an activity outside the enum', { ...good, activity_id: 7, type_uid: 300207 }, 'activity_id'],
    ['a caption that is not the enum value', { ...good, severity: 'Low' }, 'severity'],
    ['a bad IP', { ...good, src_endpoint: { ip: 'example' } }, 'IP address'],
    ['an unknown nested attribute', { ...good, session: { secret: 'x' } }, 'session.secret'],
    ['no metadata version', { ...good, metadata: { product: { name: 'x' } } }, 'metadata.version'],
    ['neither service nor dst_endpoint', { ...good, service: undefined }, 'at least one'],
  ])('refuses %s', (_, record, problem) => {
    const cleaned = JSON.parse(JSON.stringify(record));
    expect(validateOcsf(cleaned).join('\n')).toContain(problem);
  });
});
