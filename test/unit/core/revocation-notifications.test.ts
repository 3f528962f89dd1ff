/** What auditors are told of revocations that only they may make now, and how revocation events read as OCSF. */
import { describe, expect, it } from 'vitest';
import { notificationFor } from '../../../lib/core/notifications.ts';
import { eventToOcsf } from '../../../lib/core/ocsf.ts';

const URL = 'https://hallpass.example.com/v1';

function event(kind: string, details: Record<string, unknown>): Record<string, unknown> {
  return {
    pk: `event#${kind}#r1#x`,
    kind: 'event',
    event: kind,
    requestId: 'r1',
    entitlementId: 'sandbox-readonly',
    principalSub: 'yusuf',
    actor: { sub: 'yusuf', name: 'Yusuf' },
    issuedAt: '2030-01-01T12:00:00Z',
    details,
  };
}

describe('revocation notifications', () => {
  it("tells auditors, urgently, that a person's own revocation was refused for a full policy", () => {
    const n = notificationFor(
      event('session.revocation-refused', {
        sessionId: 'abcdefghabcdefgh',
        accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
        roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
        reason: "I'm done <!channel>",
        refused: 'revocation_policy_full',
      }),
      URL,
    );
    expect(n).toMatchObject({
      detailType: 'hallpass.session.revocation-refused',
      urgent: true,
      audience: 'auditors',
    });
    expect(n?.text).toContain('abcdefghabcdefgh');
    expect(n?.text).toContain('deny policy is full');
    expect(n?.text).toContain('ASIAEXAMPLEEXAMPLE00');
    expect(n?.text).not.toContain('<!channel>');
  });

  it('tells nobody of the follow-up check', () => {
    const details = { sessionId: 'abcdefghabcdefgh', propagation: 'observed' };
    expect(notificationFor(event('session.revocation-observed', details), URL)).toBeNull();
  });
});

describe('revocation events as OCSF', () => {
  const record = (event: string, details: Record<string, unknown>) => ({
    id: `${event}#x`,
    event,
    at: '2030-01-01T12:00:00Z',
    actor: { sub: 'yusuf', name: 'Yusuf' },
    principal: 'yusuf',
    requestId: null,
    entitlementId: 'sandbox-readonly',
    details: { sessionId: 'abcdefghabcdefgh', ...details },
  });

  it.each([
    ['session.revoked', 3, 'Update', 1],
    ['session.revocation-refused', 99, 'Refuse', 3],
    ['session.revocation-observed', 99, 'Observe', 1],
  ])('maps %s to an Entity Management activity on the session', (event, activityId, activity, severityId) => {
    const ocsf = eventToOcsf(record(event, { propagation: 'observed' }));
    expect(ocsf).toMatchObject({
      class_uid: 3004,
      activity_id: activityId,
      activity_name: activity,
      severity_id: severityId,
      entity: { type: 'Session', uid: 'abcdefghabcdefgh' },
    });
  });
});
