/**
 * Slack links as stored: the read-modify-write of a principal's links (retried when someone wrote in
 * between), removing one, the audit events of linking, and the refresh of a linked principal's
 * groups after every authenticated call. Shared by the link routes and Slack's own routes.
 */

import type { Principal } from '../core/principal.ts';
import { groupsHash, groupsSeenAt } from '../core/slack.ts';
import { toApiTime } from '../core/time.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { describeError, log } from '../log.ts';
import { type AuditTable, putEvent } from './audit-table.ts';
import type { Metrics } from './metrics.ts';
import {
  getLinkedPrincipal,
  type LinkedPrincipal,
  refreshLinkedGroups,
  replaceLinkedPrincipal,
  type SlackLink,
  type SlackTable,
} from './slack-table.ts';

/** Where link events go: the audit table, dated by the clock. */
export interface LinkTrail {
  audit: AuditTable;
  now: () => Date;
  metrics?: Metrics | undefined;
}

/** Link events are about no entitlement: this stands in the index key (no entitlement id can be it). */
const SLACK_ENTITLEMENT = '(slack)';

/** Appends `slack.linked` or `slack.unlinked`; a failure is logged and counted, never undoes the change. */
export async function recordLinkEvent(
  deps: LinkTrail,
  event: 'slack.linked' | 'slack.unlinked',
  actor: { sub: string; name: string },
  subjectSub: string,
  link: SlackLink,
  via: 'hallpass' | 'slack',
): Promise<void> {
  try {
    await putEvent(deps.audit, {
      event,
      at: toApiTime(deps.now()),
      actor,
      subjectSub,
      requestId: null,
      entitlementId: SLACK_ENTITLEMENT,
      details: { teamId: link.teamId, userId: link.userId, via },
    });
    log.info(event, { principal: subjectSub, teamId: link.teamId, userId: link.userId, via });
  } catch (error) {
    deps.metrics?.count('AuditWriteFailed', {});
    log.error('audit.event_unwritten', { lostEvent: event, principal: subjectSub, ...describeError(error) });
  }
}

/**
 * Read-modify-write of a principal's item, retried when someone wrote in between. `change` gets the
 * current item (or undefined) and returns the next one, or throws.
 */
export async function updatePrincipal(
  table: SlackTable,
  sub: string,
  change: (current: LinkedPrincipal | undefined) => Omit<LinkedPrincipal, 'version'>,
): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await getLinkedPrincipal(table, sub);
    const next = change(current);
    if (await replaceLinkedPrincipal(table, next, current?.version ?? 0, groupsHash(next.groups))) return;
  }
  throw new ConflictError('your Slack links are being changed elsewhere: try again');
}

/** Takes the link out of the principal's item first: from then on it grants nothing. */
export async function removeLink(table: SlackTable, sub: string, id: string): Promise<SlackLink | undefined> {
  let removed: SlackLink | undefined;
  try {
    await updatePrincipal(table, sub, (p) => {
      removed = p?.links[id];
      if (!p || !removed) throw new NotFoundError('no such link');
      const { [id]: _gone, ...links } = p.links;
      return { ...p, links };
    });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  return removed;
}

/** Groups refreshed at most this often while they do not change. */
const REFRESH_THROTTLE_MS = 5 * 60_000;

/** Refreshes this container remembers having made, for groupRefresher's skip. */
const REMEMBERED_REFRESHES = 1000;

/**
 * After every authenticated call: records the principal's groups from this token if they have a Slack
 * link (one conditional write that fails cheaply for everyone else). A failure is logged, never
 * fails the call: the age check then refuses old groups.
 *
 * The same groups, name and token age already sent from this container less than
 * REFRESH_THROTTLE_MS ago are not sent again (a CLI presents one token for an hour: without this,
 * each of its calls paid a DynamoDB round trip and a write unit). Anything that differs (a newer
 * token, other groups, another name) is sent at once, so a removal from a group reaches the table
 * with the first call that shows it; a refresh that failed is not remembered.
 */
export function groupRefresher(table: SlackTable, now: () => Date): (p: Principal) => Promise<void> {
  const sent = new Map<string, number>();
  return async (p) => {
    const at = now();
    const hash = groupsHash(p.groups);
    const seenAt = groupsSeenAt(p.claims, at);
    const key = JSON.stringify([p.issuer ?? null, p.sub, p.name, hash, seenAt.getTime()]);
    const last = sent.get(key);
    if (last !== undefined && at.getTime() - last < REFRESH_THROTTLE_MS && at.getTime() >= last) return;
    try {
      await refreshLinkedGroups(
        table,
        { sub: p.sub, name: p.name, groups: p.groups, issuer: p.issuer ?? null },
        hash,
        seenAt,
        REFRESH_THROTTLE_MS,
      );
      sent.delete(key);
      if (sent.size >= REMEMBERED_REFRESHES) sent.delete(sent.keys().next().value as string);
      sent.set(key, at.getTime());
    } catch (error) {
      log.warn('slack.groups_refresh_failed', { principal: p.sub, ...describeError(error) });
    }
  };
}
