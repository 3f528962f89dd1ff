/**
 * Slack, as pure rules: the request signature Slack sends (v0 HMAC-SHA256 over the timestamp and the
 * raw body), one-time link codes and the messages it posts (the payloads it reads are in
 * lib/core/slack-payloads.ts). Nothing here trusts Slack about who someone is: a Slack user is a
 * hallpass principal only through a link that person made while signed in
 * (lib/use-cases/slack-links.ts).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../errors.ts';
import type { RequestRecord, RequestStatus } from './approval.ts';
import { userText } from './notifications.ts';

/** An error with its own stable API code (lib/http/errors.ts reads `code`): the Slack link routes'. */
export const coded = <E extends Error>(error: E, code: string): E => Object.assign(error, { code });

/** What every Slack route answers when Slack is off: 404 `slack_not_configured`. */
export const slackNotConfigured = (): NotFoundError =>
  coded(new NotFoundError('Slack is not configured for this hallpass'), 'slack_not_configured');

/** How old a signed request may be (either way: clocks differ), as Slack's documentation says. */
export const SIGNATURE_MAX_AGE_SECONDS = 300;

/** Why a request's signature was refused; never says which part of a valid-looking one was wrong. */
export type SignatureProblem = 'missing' | 'stale' | 'mismatch';

/**
 * Checks Slack's `X-Slack-Signature` (`v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the
 * app's signing secret) and `X-Slack-Request-Timestamp` (at most 5 minutes from now), comparing in
 * constant time. Returns null when the request is Slack's.
 */
export function checkSlackSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  now: Date,
): SignatureProblem | null {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    return 'missing';
  }
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_MAX_AGE_SECONDS) return 'stale';
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'mismatch';
}

/** The key that marks a signed request as processed: a hash of its signature (unique per body and time). */
export const replayKey = (signature: string): string => createHash('sha256').update(signature).digest('hex');

// Crockford's base32: no I, L, O or U, so a code read aloud or retyped survives.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LINK_CODE_LENGTH = 10;
export const LINK_CODE_SECONDS = 600;

/** A new one-time link code (50 random bits), shown as `XXXXX-XXXXX`. */
export function newLinkCode(): string {
  const bytes = randomBytes(LINK_CODE_LENGTH);
  const chars = [...bytes].map((b) => CROCKFORD[b & 31]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/**
 * A code as typed: any case, dashes and spaces ignored, I/L read as 1 and O as 0. Null when it cannot
 * be a code.
 */
export function normaliseLinkCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (code.length !== LINK_CODE_LENGTH) return null;
  return [...code].every((c) => CROCKFORD.includes(c)) ? code : null;
}

/** Where a code is stored: its hash, so the table never holds a usable code. */
export const linkCodeKey = (normalised: string): string =>
  createHash('sha256').update(normalised).digest('hex');

/** A link's id: the Slack team and user (both upper-case alphanumerics). */
export const linkId = (teamId: string, userId: string): string => `${teamId}-${userId}`;

export function parseLinkId(id: string): { teamId: string; userId: string } | null {
  const match = /^([A-Z0-9]{2,32})-([A-Z0-9]{2,32})$/.exec(id);
  return match ? { teamId: match[1] as string, userId: match[2] as string } : null;
}

/**
 * When the issuer told hallpass a principal's groups: their token's issue time (never later than
 * now). A Slack decision measures the groups' age from it, so a day-old token's groups are a day old
 * however recently it was presented.
 */
export function groupsSeenAt(claims: Readonly<Record<string, unknown>>, now: Date): Date {
  const iat = claims.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return now;
  return new Date(Math.min(now.getTime(), iat * 1000));
}

/** A hash of a principal's groups: a refresh writes only when they changed (or are getting old). */
export const groupsHash = (groups: readonly string[]): string =>
  createHash('sha256')
    .update(JSON.stringify([...groups].sort()))
    .digest('base64url');

/**
 * The workspace a Slack user acts from, for their link's key: the payload's team, else the user's own
 * (Enterprise Grid). Both, where given, are what HALLPASS_SLACK_TEAM_IDS must allow.
 */
export function actingTeams(p: { team: { id: string } | null; user: { team_id?: string | undefined } }): {
  teamId: string | undefined;
  all: string[];
} {
  const all = [p.team?.id, p.user.team_id].filter((t): t is string => typeof t === 'string');
  return { teamId: p.team?.id ?? p.user.team_id, all: [...new Set(all)] };
}

export const ACTION_APPROVE = 'hallpass.approve';
export const ACTION_DENY = 'hallpass.deny';
export const DENY_CALLBACK = 'hallpass.deny';
/** The longest denial reason the modal takes (the API's DenyBody takes the same). */
export const REASON_MAX = 1000;

/** The Deny modal: the reason is required; the request id travels in private_metadata. */
export function denyModal(requestId: string, entitlementId: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: DENY_CALLBACK,
    private_metadata: JSON.stringify({ requestId }),
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Deny the request for *${userText(entitlementId)}*? The requester sees the reason.`,
        },
      },
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: REASON_MAX },
      },
    ],
  };
}

const person = (p: { sub: string; name: string }) => {
  const name = userText(p.name);
  return name && p.name !== p.sub ? `${name} (${userText(p.sub)})` : userText(p.sub);
};

const duration = (seconds: number) =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;

/**
 * The message of a request for approval, in its current state: who asks, what, for how long, why, the
 * ticket, the approvals so far and, while it is pending, the Approve and Deny buttons. `text` is the
 * notification's fallback (and what screen readers get).
 */
export function requestMessage(
  r: RequestRecord,
  status: RequestStatus,
  link: string | undefined,
): { text: string; blocks: Array<Record<string, unknown>> } {
  const asks =
    `${person(r.requester)} asks for *${userText(r.entitlementId)}* for ${duration(r.durationSeconds)}.\n` +
    `*Why:* ${userText(r.justification)}` +
    (r.ticket ? `\n*Ticket:* ${userText(r.ticket)}` : '');
  const approvals = r.approvals.length
    ? `Approved by ${r.approvals.map((a) => person(a.approver)).join(', ')} (${r.approvals.length} of ${r.minApprovals})`
    : `Needs ${r.minApprovals} approval${r.minApprovals === 1 ? '' : 's'}`;
  const outcome: Record<RequestStatus, string> = {
    pending: `:hourglass_flowing_sand: Pending. ${approvals}.`,
    approved: `:white_check_mark: *Approved.* ${approvals}.`,
    consumed: `:white_check_mark: *Approved* and used. ${approvals}.`,
    denied: `:no_entry: *Denied* by ${r.denial ? `${person(r.denial.by)}: ${userText(r.denial.reason)}` : 'an approver'}`,
    cancelled: ':heavy_multiplication_x: *Cancelled* by the requester.',
    expired: `:clock3: *Expired.* ${approvals}.`,
  };
  const blocks: Array<Record<string, unknown>> = [
    { type: 'section', text: { type: 'mrkdwn', text: asks } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${outcome[status]}\nRequest ${r.id}${link ? ` · <${link}|open in hallpass>` : ''}`,
        },
      ],
    },
  ];
  if (status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: 'hallpass.decide',
      elements: [
        {
          type: 'button',
          action_id: ACTION_APPROVE,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: r.id,
        },
        {
          type: 'button',
          action_id: ACTION_DENY,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: r.id,
        },
      ],
    });
  }
  // The fallback Slack shows in notifications and screen readers read: the same facts, one line.
  const plain =
    `${person(r.requester)} asks for ${r.entitlementId} for ${duration(r.durationSeconds)} (${status}): ` +
    `${userText(r.justification)}${r.ticket ? ` [${userText(r.ticket)}]` : ''}`;
  return { text: plain, blocks };
}
