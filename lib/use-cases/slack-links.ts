/**
 * Who a Slack user is, as hallpass knows it: only through a link the person made while signed in. A
 * Slack user asks for a one-time code (`/hallpass link`, valid 10 minutes, only its hash stored); the
 * person enters it in the web console or the CLI with their token (here); the link (team + user ->
 * principal) and the principal's groups from that token are stored. The groups are refreshed whenever
 * the principal calls hallpass (lib/adapters/slack-links.ts groupRefresher), and a Slack decision uses
 * them only while they are younger than the configured age (slack-interactions.ts).
 */
import type { AuditTable } from '../adapters/audit-table.ts';
import type { Metrics } from '../adapters/metrics.ts';
import { recordLinkEvent, removeLink, updatePrincipal } from '../adapters/slack-links.ts';
import {
  deleteSlackUser,
  getLinkedPrincipal,
  getSlackUser,
  peekLinkCode,
  putSlackUser,
  type SlackLink,
  type SlackTable,
  takeLinkCode,
} from '../adapters/slack-table.ts';
import type { SlackSettings } from '../config.ts';
import { type Catalog, isAuditor } from '../core/catalog.ts';
import type { Principal } from '../core/principal.ts';
import {
  coded,
  groupsSeenAt,
  linkCodeKey,
  linkId,
  normaliseLinkCode,
  parseLinkId,
  slackNotConfigured,
} from '../core/slack.ts';
import { toApiTime } from '../core/time.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';

/** What the link routes need: Slack's table and settings when Slack is on. */
export interface LinkDeps {
  audit: AuditTable;
  catalog: Catalog;
  now: () => Date;
  metrics?: Metrics | undefined;
  slack: { table: SlackTable; settings: SlackSettings } | undefined;
}

/** A link as the API shows it. */
export interface ApiLink {
  id: string;
  teamId: string;
  userId: string;
  linkedAt: string;
}

/** At most this many Slack identities per principal (a person in a few workspaces). */
export const MAX_LINKS = 5;

function slackOf(deps: LinkDeps): NonNullable<LinkDeps['slack']> {
  if (!deps.slack) throw slackNotConfigured();
  return deps.slack;
}

const toApiLink = (l: SlackLink): ApiLink => ({ id: linkId(l.teamId, l.userId), ...l });
/**
 * Links the Slack user who asked for `code` to the caller. Checks everything before the code is used
 * up, so a refused link leaves the code valid: 404 `link_code_not_found` (unknown, used or expired:
 * one answer), 409 `slack_user_linked` (linked to someone else), 409 `too_many_links`.
 */
export async function linkSlackUser(deps: LinkDeps, principal: Principal, input: string): Promise<ApiLink> {
  const slack = slackOf(deps);
  const normalised = normaliseLinkCode(input);
  if (!normalised) {
    throw new InvalidRequestError(
      'the code is 10 letters and digits, as /hallpass link showed it (XXXXX-XXXXX)',
      [{ path: 'code', message: 'not a link code' }],
    );
  }
  const key = linkCodeKey(normalised);
  const now = deps.now();
  const notFound = () =>
    coded(
      new NotFoundError('no such link code: it may be mistyped, used or expired (run /hallpass link again)'),
      'link_code_not_found',
    );
  const code = await peekLinkCode(slack.table, key, now);
  if (!code) throw notFound();
  const other = await getSlackUser(slack.table, code.teamId, code.userId);
  if (other && other.sub !== principal.sub) {
    throw coded(
      new ConflictError(
        'that Slack user is linked to another hallpass user: run /hallpass unlink in Slack first',
      ),
      'slack_user_linked',
    );
  }
  const id = linkId(code.teamId, code.userId);
  const current = await getLinkedPrincipal(slack.table, principal.sub);
  if (current && !current.links[id] && Object.keys(current.links).length >= MAX_LINKS) {
    throw coded(
      new ConflictError(`you have ${MAX_LINKS} Slack links already: remove one first`),
      'too_many_links',
    );
  }
  if (!(await takeLinkCode(slack.table, key, now))) throw notFound();
  const link: SlackLink = { teamId: code.teamId, userId: code.userId, linkedAt: toApiTime(now) };
  const seenAt = groupsSeenAt(principal.claims, now);
  if (!(await putSlackUser(slack.table, link, principal.sub))) {
    throw coded(
      new ConflictError(
        'that Slack user was just linked to another hallpass user: run /hallpass unlink in Slack first',
      ),
      'slack_user_linked',
    );
  }
  // The Slack user's item says who they are; the principal's item must also list the link, or the
  // link grants nothing (a half-made link is inert).
  await updatePrincipal(slack.table, principal.sub, (p) => {
    const links = { ...(p?.links ?? {}) };
    if (!links[id] && Object.keys(links).length >= MAX_LINKS) {
      throw coded(
        new ConflictError(`you have ${MAX_LINKS} Slack links already: remove one first`),
        'too_many_links',
      );
    }
    links[id] = links[id] ?? link;
    return {
      sub: principal.sub,
      name: principal.name,
      issuer: principal.issuer ?? null,
      groups: principal.groups,
      groupsAt: toApiTime(seenAt),
      groupsAtMs: seenAt.getTime(),
      links,
    };
  });
  await recordLinkEvent(deps, 'slack.linked', principal, principal.sub, link, 'hallpass');
  return toApiLink(link);
}

/** The caller's links, and how old the groups a Slack decision would use are. */
export async function listLinks(
  deps: LinkDeps,
  principal: Principal,
): Promise<{ links: ApiLink[]; groups: { refreshedAt: string | null; maxAgeSeconds: number } }> {
  const slack = slackOf(deps);
  const p = await getLinkedPrincipal(slack.table, principal.sub);
  const links = Object.values(p?.links ?? {})
    .map(toApiLink)
    .sort((a, b) => a.linkedAt.localeCompare(b.linkedAt));
  return {
    links,
    groups: {
      refreshedAt: links.length ? (p?.groupsAt ?? null) : null,
      maxAgeSeconds: slack.settings.groupsMaxAgeSeconds,
    },
  };
}

/**
 * Removes a link: one of the caller's own, or (auditors) anyone's, e.g. at once for someone who left
 * the approvers. 404 `link_not_found` for anything else.
 */
export async function unlinkOwn(deps: LinkDeps, principal: Principal, id: string): Promise<ApiLink> {
  const slack = slackOf(deps);
  const notFound = () => coded(new NotFoundError(`no Slack link '${id}' of yours`), 'link_not_found');
  const parsed = parseLinkId(id);
  if (!parsed) throw notFound();
  let owner = principal.sub;
  if (isAuditor(deps.catalog, principal)) {
    owner = (await getSlackUser(slack.table, parsed.teamId, parsed.userId))?.sub ?? principal.sub;
  }
  const removed = await removeLink(slack.table, owner, id);
  if (!removed) throw notFound();
  await deleteSlackUser(slack.table, parsed.teamId, parsed.userId, owner, deps.now());
  await recordLinkEvent(deps, 'slack.unlinked', principal, owner, removed, 'hallpass');
  return toApiLink(removed);
}
