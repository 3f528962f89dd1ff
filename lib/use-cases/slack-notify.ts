/**
 * Slack messages, driven by the audit stream like every other notification (so Slack being down or
 * slow never blocks the API, and a failed post is retried, then dead-lettered):
 *   request.created                the request, with Approve / Deny, in its entitlement's channel
 *   request.approved|denied|...    that message updated for everyone: approvals so far, the outcome
 *   approved (quorum) or denied    a direct message to the requester, if they linked Slack
 *   a break-glass session          the security channel, with a Review link
 *   session.revoked                the security channel
 * A redelivered record posts nothing again (the table remembers what was posted); only a crash
 * between a post and its note could repeat one.
 */
import { getRequest, type RequestsTable } from '../adapters/requests-table.ts';
import type { SlackApi } from '../adapters/slack-api.ts';
import {
  getLinkedPrincipal,
  getMessage,
  markSent,
  putMessage,
  type SlackTable,
  wasSent,
} from '../adapters/slack-table.ts';
import { AuditEvent } from '../audit-events.ts';
import type { SlackSettings } from '../config.ts';
import { type RequestRecord, statusOf } from '../core/approval.ts';
import { type Catalog, findEntitlement } from '../core/catalog.ts';
import { notificationFor } from '../core/notifications.ts';
import type { Session } from '../core/session.ts';
import { requestMessage } from '../core/slack.ts';

export interface SlackNotifyDeps {
  slack: { table: SlackTable; settings: SlackSettings; api: SlackApi };
  requests: RequestsTable;
  catalog: Catalog;
  publicUrl: string | undefined;
  now: () => Date;
}

type Item = Record<string, unknown>;

/** How long the table remembers a message or a post (longer than any request's life). */
const REMEMBER_MS = 31 * 86400_000;

const consoleUrl = (publicUrl: string | undefined, fragment: string) =>
  publicUrl ? `${new URL(publicUrl).origin}/${fragment}` : undefined;

const DECISIONS: ReadonlySet<unknown> = new Set([
  AuditEvent.requestApproved,
  AuditEvent.requestDenied,
  AuditEvent.requestCancelled,
  AuditEvent.requestExpired,
]);

/** Everything Slack should show for one new audit record. Throws if a post failed (the caller retries). */
export async function notifySlack(deps: SlackNotifyDeps, item: Item): Promise<void> {
  if (item.kind === 'session') {
    const s = item.record as Session;
    if (s.breakGlass) await toSecurityChannel(deps, item, 'review');
    return;
  }
  if (item.kind !== 'event') return;
  const requestId = typeof item.requestId === 'string' ? item.requestId : undefined;
  const details = (item.details ?? {}) as Record<string, unknown>;
  if (item.event === AuditEvent.requestCreated && requestId && details.approvalRequired !== false) {
    await postRequest(deps, requestId);
  } else if (DECISIONS.has(item.event) && requestId) {
    await updateRequest(deps, requestId);
    const decided =
      (item.event === AuditEvent.requestApproved && details.quorumReached === true) ||
      item.event === AuditEvent.requestDenied;
    if (decided) await tellRequester(deps, item);
  } else if (item.event === AuditEvent.sessionRevoked) {
    await toSecurityChannel(deps, item, 'revoked');
  }
}

/** A request's message as it stands now (its entitlement may have left the catalog: void). */
function messageOf(deps: SlackNotifyDeps, r: RequestRecord): ReturnType<typeof requestMessage> {
  const exists = findEntitlement(deps.catalog, r.entitlementId) !== undefined;
  return requestMessage(r, statusOf(r, deps.now(), exists), consoleUrl(deps.publicUrl, '#/approvals'));
}

async function postRequest(deps: SlackNotifyDeps, requestId: string): Promise<void> {
  const { table, settings, api } = deps.slack;
  if (await getMessage(table, requestId)) return;
  const r = await getRequest(deps.requests, requestId);
  if (!r) return;
  const channel =
    findEntitlement(deps.catalog, r.entitlementId)?.notify?.slack?.channel ?? settings.defaultChannel;
  if (!channel) return;
  const posted = await api.call('chat.postMessage', { channel, ...messageOf(deps, r), unfurl_links: false });
  const where = { channel: String(posted.channel ?? channel), ts: String(posted.ts) };
  await putMessage(table, requestId, where, deps.now().getTime() + REMEMBER_MS);
  // A decision recorded while this was posting found no message to update: show it now.
  const after = await getRequest(deps.requests, requestId);
  if (after && after.version !== r.version)
    await api.call('chat.update', { ...where, ...messageOf(deps, after) });
}

/** The message shows the request as it is now, whichever decision this record was: updates commute. */
async function updateRequest(deps: SlackNotifyDeps, requestId: string): Promise<void> {
  const where = await getMessage(deps.slack.table, requestId);
  if (!where) return;
  const r = await getRequest(deps.requests, requestId);
  if (r) await deps.slack.api.call('chat.update', { ...where, ...messageOf(deps, r) });
}

/** A direct message to the requester, when their request is decided and they linked Slack. */
async function tellRequester(deps: SlackNotifyDeps, item: Item): Promise<void> {
  const { table, api } = deps.slack;
  const key = `${String(item.pk)}#requester`;
  if (await wasSent(table, key)) return;
  // The event names the requester (principalSub): no need to read the request again.
  const linked = await getLinkedPrincipal(table, String(item.principalSub));
  const notification = notificationFor(item, deps.publicUrl);
  for (const link of Object.values(linked?.links ?? {})) {
    if (!notification) break;
    // A user id as the channel: Slack opens the bot's direct message with them.
    await api.call('chat.postMessage', {
      channel: link.userId,
      text: notification.text,
      unfurl_links: false,
    });
  }
  await markSent(table, key, deps.now().getTime() + REMEMBER_MS);
}

async function toSecurityChannel(
  deps: SlackNotifyDeps,
  item: Item,
  kind: 'review' | 'revoked',
): Promise<void> {
  const { table, settings, api } = deps.slack;
  const channel = settings.securityChannel;
  const notification = notificationFor(item, deps.publicUrl);
  if (!channel || !notification) return;
  const key = `${String(item.pk)}#security`;
  if (await wasSent(table, key)) return;
  const sessionId = String((notification.detail as { sessionId?: unknown }).sessionId ?? '');
  const review = consoleUrl(deps.publicUrl, `#/audit/sessions/${sessionId}`);
  const blocks: Array<Record<string, unknown>> = [
    { type: 'section', text: { type: 'mrkdwn', text: notification.text } },
  ];
  if (review) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: kind === 'review' ? 'hallpass.review' : 'hallpass.open',
          text: { type: 'plain_text', text: kind === 'review' ? 'Review' : 'Open in hallpass' },
          url: review,
        },
      ],
    });
  }
  await api.call('chat.postMessage', { channel, text: notification.text, blocks, unfurl_links: false });
  await markSent(table, key, deps.now().getTime() + REMEMBER_MS);
}
