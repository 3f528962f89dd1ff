/**
 * Notification text carries user text (justifications, reasons, comments, display names) to people
 * who act on it: none of it may pass for hallpass's own words, links or mentions.
 */
import { describe, expect, it } from 'vitest';
import { type Notification, notificationFor } from '../../../lib/core/notifications.ts';

const URL = 'https://hallpass.example.com/v1';
// The three payloads of issue 19, item 2.
const MENTION = '<!channel>';
const LINK = '<https://evil.example|Approve in hallpass>';
const BOLD = '*Approved by security team*';
const PAYLOADS = [MENTION, LINK, BOLD];
const HOSTILE = `Fix it ${MENTION} ${LINK}\n${BOLD}`;
// Controls other than newline and tab, and the bidi marks.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what the test looks for.
const NOT_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const HOSTILE_NAME = `Mallory ${BOLD} ${MENTION}`;

function session(justification: string, name: string): Record<string, unknown> {
  return {
    pk: 'session#ASIAEXAMPLEEXAMPLE00',
    kind: 'session',
    record: {
      id: 'abcdefghabcdefgh',
      issuedAt: '2026-11-28T03:00:00Z',
      expiresAt: '2026-11-28T03:15:00Z',
      principal: { sub: 'mallory', name, groups: ['oncall'] },
      entitlementId: 'prod-admin',
      roleArn: 'arn:aws:iam::222222222222:role/hallpass-prod-admin',
      accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
      breakGlass: { justification, review: { status: 'pending' } },
    },
  };
}

function event(kind: string, details: Record<string, unknown>, name: string): Record<string, unknown> {
  return {
    pk: `event#${kind}#r1`,
    kind: 'event',
    event: kind,
    requestId: 'r1',
    entitlementId: 'prod-admin',
    principalSub: 'mallory',
    actor: { sub: 'mallory', name },
    issuedAt: '2026-11-28T03:00:00Z',
    details,
  };
}

const textOf = (n: Notification | null): string => {
  expect(n).not.toBeNull();
  return (n as Notification).text;
};

/** Each user-text field of each notification, filled with the hostile text. */
const CASES: Array<[string, () => Notification | null]> = [
  ['a break-glass justification', () => notificationFor(session(HOSTILE, 'Olga'), URL)],
  [
    'a break-glass display name',
    () => notificationFor(session('INC-1: the database is down', HOSTILE_NAME), URL),
  ],
  [
    'a request justification',
    () =>
      notificationFor(
        event(
          'request.created',
          { approvalRequired: true, durationSeconds: 900, justification: HOSTILE },
          'Al',
        ),
        URL,
      ),
  ],
  [
    'a requester display name',
    () =>
      notificationFor(
        event(
          'request.created',
          { approvalRequired: true, durationSeconds: 900, justification: 'ok' },
          HOSTILE_NAME,
        ),
        URL,
      ),
  ],
  ['a denial reason', () => notificationFor(event('request.denied', { reason: HOSTILE }, 'Bob'), URL)],
  [
    'a denier display name',
    () => notificationFor(event('request.denied', { reason: 'no' }, HOSTILE_NAME), URL),
  ],
  [
    'an approval comment',
    () => notificationFor(event('request.approved', { quorumReached: true, comment: HOSTILE }, 'Bob'), URL),
  ],
  [
    'an approver display name',
    () =>
      notificationFor(event('request.approved', { quorumReached: true, comment: null }, HOSTILE_NAME), URL),
  ],
];

describe('notification text', () => {
  it.each(CASES)('renders %s as plain, escaped text on its own line', (_, build) => {
    const text = textOf(build());

    for (const payload of PAYLOADS) expect(text).not.toContain(payload);
    expect(text).not.toMatch(/<[!@#]|<https?:/);
    expect(text).not.toContain('*Approved');
    expect(text).toContain('&lt;!channel&gt;');
    // Only hallpass's own lines: the user text cannot start one.
    for (const line of text.split('\n')) expect(line).not.toMatch(/^\s*(\*|&gt;|>)?\s*Approved by security/);
  });

  it('keeps hallpass own formatting (the entitlement in bold) and the links', () => {
    const text = textOf(notificationFor(event('request.denied', { reason: HOSTILE }, 'Bob'), URL));

    expect(text).toContain('*prod-admin*');
    expect(text).toContain('Your request for *prod-admin* was denied by Bob (mallory)');
  });

  it('shows the approver comment to the requester', () => {
    const text = textOf(
      notificationFor(
        event('request.approved', { quorumReached: true, comment: 'ok for the hotfix' }, 'Bob'),
        URL,
      ),
    );

    expect(text).toContain('approved by Bob (mallory): ok for the hotfix.');
  });

  it('strips control and bidi-override characters, and escapes &', () => {
    const sneaky = 'INC-1 \u202Etxt.exe\u202C\u0000 a\u0007b \u2066x\u2069 \u200F&\u061C R&D';
    const text = textOf(notificationFor(session(sneaky, 'O\u202Elga'), URL));

    expect(text).not.toMatch(NOT_IN_TEXT);
    expect(text).toContain('INC-1 txt.exe ab x &amp; R&amp;D');
    expect(text).toContain('Olga (mallory)');
  });
});

describe('the EventBridge detail', () => {
  it('stays the structured data, without control or bidi-override characters', () => {
    const n = notificationFor(session(`${HOSTILE}\u202E\u0000`, 'O\u202Elga'), URL) as Notification;

    expect(n.detail.justification).toBe(HOSTILE);
    expect(n.detail.principal).toEqual({ sub: 'mallory', name: 'Olga' });
  });

  it('strips them from request details too', () => {
    const n = notificationFor(event('request.denied', { reason: 'no\u202E way\u0000' }, 'B\u2066ob'), URL);

    expect(n?.detail).toMatchObject({ reason: 'no way', actor: { sub: 'mallory', name: 'Bob' } });
  });
});
