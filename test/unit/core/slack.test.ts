/** The pure Slack rules: Slack's request signature, link codes, and the request message. */
import { describe, expect, it } from 'vitest';
import { newRequest } from '../../../lib/core/approval.ts';
import type { Entitlement } from '../../../lib/core/catalog.ts';
import {
  checkSlackSignature,
  linkCodeKey,
  newLinkCode,
  normaliseLinkCode,
  parseLinkId,
  requestMessage,
} from '../../../lib/core/slack.ts';

// Slack's own worked example ("Verifying requests from Slack"): secret, timestamp, body, signature.
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT = new Date(Number(TIMESTAMP) * 1000 + 30_000);

describe("Slack's request signature", () => {
  it("accepts Slack's documented example", () => {
    expect(checkSlackSignature(SECRET, { timestamp: TIMESTAMP, signature: SIGNATURE }, BODY, AT)).toBeNull();
  });

  it('refuses another secret, a changed body, a changed timestamp', () => {
    expect(checkSlackSignature('another', { timestamp: TIMESTAMP, signature: SIGNATURE }, BODY, AT)).toBe(
      'mismatch',
    );
    expect(checkSlackSignature(SECRET, { timestamp: TIMESTAMP, signature: SIGNATURE }, `${BODY}x`, AT)).toBe(
      'mismatch',
    );
    expect(checkSlackSignature(SECRET, { timestamp: '1531420619', signature: SIGNATURE }, BODY, AT)).toBe(
      'mismatch',
    );
  });

  it('refuses a request more than 5 minutes old or ahead', () => {
    const headers = { timestamp: TIMESTAMP, signature: SIGNATURE };
    expect(checkSlackSignature(SECRET, headers, BODY, new Date(Number(TIMESTAMP) * 1000 + 301_000))).toBe(
      'stale',
    );
    expect(checkSlackSignature(SECRET, headers, BODY, new Date(Number(TIMESTAMP) * 1000 - 301_000))).toBe(
      'stale',
    );
    expect(
      checkSlackSignature(SECRET, headers, BODY, new Date(Number(TIMESTAMP) * 1000 + 299_000)),
    ).toBeNull();
  });

  it('refuses missing or malformed headers', () => {
    for (const headers of [
      { timestamp: undefined, signature: SIGNATURE },
      { timestamp: TIMESTAMP, signature: undefined },
      { timestamp: 'soon', signature: SIGNATURE },
      { timestamp: TIMESTAMP, signature: SIGNATURE.replace('v0=', 'v1=') },
      { timestamp: TIMESTAMP, signature: SIGNATURE.slice(0, -2) },
    ]) {
      expect(checkSlackSignature(SECRET, headers, BODY, AT)).toBe('missing');
    }
  });
});

describe('link codes', () => {
  it('makes codes of 10 Crockford characters, shown XXXXX-XXXXX, all different', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newLinkCode()));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  it('reads a code as people type it, and refuses what cannot be one', () => {
    expect(normaliseLinkCode('ab1cd-ef2gh')).toBe('AB1CDEF2GH');
    expect(normaliseLinkCode(' AB1CD EF2GH ')).toBe('AB1CDEF2GH');
    expect(normaliseLinkCode('oBlCD-EF2GH')).toBe('0B1CDEF2GH');
    expect(normaliseLinkCode('AB1CD-EF2G')).toBeNull();
    expect(normaliseLinkCode('AB1CD-EF2GU')).toBeNull();
    expect(normaliseLinkCode('AB1CD-EF2G!')).toBeNull();
    expect(linkCodeKey('AB1CDEF2GH')).toMatch(/^[0-9a-f]{64}$/);
    expect(linkCodeKey('AB1CDEF2GH')).not.toContain('AB1CD');
  });

  it('parses link ids of Slack team and user ids only', () => {
    expect(parseLinkId('T0123-U0456')).toEqual({ teamId: 'T0123', userId: 'U0456' });
    expect(parseLinkId('t0123-U0456')).toBeNull();
    expect(parseLinkId('T0123-U0456-X')).toBeNull();
    expect(parseLinkId('../T0123')).toBeNull();
  });
});

describe('the request message', () => {
  const entitlement = {
    id: 'prod-admin',
    approval: {
      required: true,
      approverGroups: ['approvers'],
      minApprovals: 2,
      validForSeconds: 3600,
      maxUses: 1,
      decisionTimeoutSeconds: 86400,
    },
  } as unknown as Entitlement;
  const request = newRequest({
    id: 'r1',
    entitlement,
    requester: { sub: 'alice', name: 'Alice *bold* <!channel>', groups: [], claims: {} },
    justification: 'Fix `prod` now <https://evil.example|click>',
    ticket: 'CHG-1',
    durationSeconds: 1800,
    now: new Date('2026-12-03T10:00:00Z'),
  });

  it('shows who, what, how long, why, the ticket and, while pending, the two buttons', () => {
    const { text, blocks } = requestMessage(request, 'pending', 'https://hallpass.example.com/#/approvals');
    const shown = JSON.stringify(blocks);
    expect(shown).toContain('prod-admin');
    expect(shown).toContain('30 min');
    expect(shown).toContain('CHG-1');
    expect(shown).toContain('Needs 2 approvals');
    expect(shown).toContain('hallpass.approve');
    expect(shown).toContain('hallpass.deny');
    expect(text).toContain('alice');
    expect(text).toContain('(pending)');
    expect(text).toContain('[CHG-1]');
    // The fallback is user text too: no link.
    expect(text).not.toContain('<https://evil.example');
  });

  it('lets no user text mention, link or format', () => {
    const shown = JSON.stringify(requestMessage(request, 'pending', undefined).blocks);
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<https://evil.example');
    expect(shown).not.toContain('*bold*');
    expect(shown).not.toContain('`prod`');
  });

  it('drops the buttons once decided and says by whom', () => {
    const denied = {
      ...request,
      state: 'denied' as const,
      denial: { by: { sub: 'bob', name: 'Bob' }, at: '2026-12-03T10:01:00Z', reason: 'freeze' },
    };
    const shown = JSON.stringify(requestMessage(denied, 'denied', undefined).blocks);
    expect(shown).toContain('Denied');
    expect(shown).toContain('Bob (bob): freeze');
    expect(shown).not.toContain('hallpass.approve');
  });
});
