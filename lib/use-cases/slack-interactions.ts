/**
 * What Slack sends hallpass: slash commands (`/hallpass link|unlink|whoami|help`) and interactions
 * (the Approve and Deny buttons, the Deny modal). Each request is Slack's only if its signature holds
 * (at most 5 minutes old, constant-time comparison) and is processed at most once (a replayed one is
 * acknowledged and ignored). A button acts as the hallpass principal the Slack user linked, with the
 * groups hallpass last saw in their token, under exactly the API's rules (lib/use-cases/decide-request.ts).
 * Answers within Slack's 3 seconds; the message itself is updated from the audit stream (notify).
 */

import type { AuditTable } from '../adapters/audit-table.ts';
import type { Metrics } from '../adapters/metrics.ts';
import { getRequest, type RequestsTable } from '../adapters/requests-table.ts';
import type { SlackApi } from '../adapters/slack-api.ts';
import { recordLinkEvent, removeLink } from '../adapters/slack-links.ts';
import {
  deleteSlackUser,
  getLinkedPrincipal,
  getSlackUser,
  markSeen,
  putLinkCode,
  type SlackTable,
} from '../adapters/slack-table.ts';
import type { ReadSecret } from '../adapters/ssm-secrets.ts';
import type { SlackSettings } from '../config.ts';
import { type ApiRequest, isEligibleApprover, requestNotFound } from '../core/approval.ts';
import { type Catalog, findEntitlement } from '../core/catalog.ts';
import { userText } from '../core/notifications.ts';
import type { Principal } from '../core/principal.ts';
import {
  ACTION_APPROVE,
  ACTION_DENY,
  actingTeams,
  checkSlackSignature,
  DENY_CALLBACK,
  denyModal,
  LINK_CODE_SECONDS,
  linkCodeKey,
  linkId,
  newLinkCode,
  normaliseLinkCode,
  REASON_MAX,
  replayKey,
  SIGNATURE_MAX_AGE_SECONDS,
} from '../core/slack.ts';
import { BlockActions, SlashCommand, ViewSubmission } from '../core/slack-payloads.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  SelfApprovalError,
  UnauthenticatedError,
} from '../errors.ts';
import { describeError, log } from '../log.ts';
import { DenyBody } from '../schemas.ts';

/** A decision made as the linked principal, through the API's own decision code (deps.ts wires it). */
export type DecidedVia = { via: 'slack'; slackUser: string };
export interface Decisions {
  approve(principal: Principal, requestId: string, via: DecidedVia): Promise<ApiRequest>;
  deny(principal: Principal, requestId: string, reason: string, via: DecidedVia): Promise<ApiRequest>;
}

/** What Slack's routes need. */
export interface SlackDeps {
  catalog: Catalog;
  requests: RequestsTable;
  audit: AuditTable;
  now: () => Date;
  metrics?: Metrics | undefined;
  slack: { table: SlackTable; settings: SlackSettings; api: SlackApi; readSecret: ReadSecret };
  /** approve and deny, exactly as the API's routes decide. */
  decisions: Decisions;
  /** The API's public base URL, for links in messages. */
  publicUrl?: string | undefined;
}

/** What the slash command needs: all but the decisions. */
export type SlackCommandDeps = Omit<SlackDeps, 'decisions'>;

/** A new one-time code for a Slack user (`/hallpass link`); shown only to them. */
export async function createLinkCode(
  deps: SlackCommandDeps,
  teamId: string,
  userId: string,
): Promise<string> {
  const { slack } = deps;
  const now = deps.now();
  for (;;) {
    const code = newLinkCode();
    const key = linkCodeKey(normaliseLinkCode(code) as string);
    const stored = await putLinkCode(
      slack.table,
      key,
      { teamId, userId, expiresAtMs: now.getTime() + LINK_CODE_SECONDS * 1000 },
      now,
    );
    if (stored) return code;
  }
}

/** `/hallpass unlink`: the Slack user removes their own link. Undefined when they had none. */
export async function unlinkFromSlack(
  deps: SlackCommandDeps,
  teamId: string,
  userId: string,
): Promise<string | undefined> {
  const { slack } = deps;
  const user = await getSlackUser(slack.table, teamId, userId);
  if (!user) return undefined;
  const removed = await removeLink(slack.table, user.sub, linkId(teamId, userId));
  await deleteSlackUser(slack.table, teamId, userId, user.sub, deps.now());
  await recordLinkEvent(
    deps,
    'slack.unlinked',
    { sub: `slack:${teamId}/${userId}`, name: `Slack user ${userId}` },
    user.sub,
    removed ?? { teamId, userId, linkedAt: user.linkedAt },
    'slack',
  );
  return user.sub;
}

/** Why a Slack user cannot act, in words for them; or the principal they act as. */
export type Approver =
  | { principal: Principal; groupsAt: string }
  | { problem: 'unlinked' | 'stale-groups' | 'team'; text: string };

/**
 * The hallpass principal a Slack user acts as: only through a complete link (both items agree), from
 * an allowed workspace, with groups younger than the configured age.
 */
export async function resolveApprover(
  deps: SlackCommandDeps,
  payload: { team: { id: string } | null; user: { id: string; team_id?: string | undefined } },
): Promise<Approver> {
  const { table, settings } = deps.slack;
  const { teamId, all } = actingTeams(payload);
  const userId = payload.user.id;
  if (!teamId || (settings.teamIds.length > 0 && !all.every((t) => settings.teamIds.includes(t)))) {
    return { problem: 'team', text: 'This Slack workspace may not act on hallpass requests.' };
  }
  const unlinked = {
    problem: 'unlinked' as const,
    text:
      'Your Slack account is not linked to hallpass, so nothing was done. Type `/hallpass link`, then enter ' +
      'the code in the hallpass web console (Slack page) or with `hallpass link <code>` while signed in.',
  };
  const user = await getSlackUser(table, teamId, userId);
  if (!user) return unlinked;
  const p = await getLinkedPrincipal(table, user.sub);
  if (!p?.links[linkId(teamId, userId)]) return unlinked;
  // A minute of slack for clocks: groups recorded by a function whose clock runs a little ahead.
  const age = deps.now().getTime() - p.groupsAtMs;
  if (!(age >= -60_000 && age <= settings.groupsMaxAgeSeconds * 1000)) {
    return {
      problem: 'stale-groups',
      text:
        `hallpass last saw your groups at ${p.groupsAt}, more than ${Math.round(settings.groupsMaxAgeSeconds / 3600)} h ago, ` +
        'so nothing was done. Open hallpass once (the web console, or any hallpass CLI command) and press the button again.',
    };
  }
  return {
    principal: {
      sub: p.sub,
      name: p.name,
      groups: p.groups,
      claims: {},
      ...(p.issuer ? { issuer: p.issuer } : {}),
    },
    groupsAt: p.groupsAt,
  };
}

/** The raw request as the route received it. */
export interface SlackHttpRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  /** The body exactly as sent: the signature covers these bytes. */
  rawBody: string;
}

/** What the route answers Slack: a JSON body, or an empty 200. */
export type SlackAnswer = { body: Record<string, unknown> } | { body: null };

const EMPTY: SlackAnswer = { body: null };
const ephemeralAnswer = (text: string): SlackAnswer => ({ body: { response_type: 'ephemeral', text } });

/**
 * Refuses anything that is not Slack's (401, nothing changes) and ignores a replay (200, nothing
 * changes). Returns whether the request should be processed.
 */
async function admit(deps: SlackCommandDeps, request: SlackHttpRequest): Promise<boolean> {
  const secret = await deps.slack.readSecret(deps.slack.settings.signingSecretParameter);
  const now = deps.now();
  const problem = checkSlackSignature(secret, request, request.rawBody, now);
  if (problem) {
    deps.metrics?.count('SlackInteractions', { Outcome: 'bad-signature' });
    log.warn('slack.signature_refused', { reason: problem });
    throw new UnauthenticatedError('the request is not signed by Slack');
  }
  const expires = (Number(request.timestamp) + 2 * SIGNATURE_MAX_AGE_SECONDS) * 1000;
  const first = await markSeen(deps.slack.table, replayKey(request.signature as string), expires, now);
  if (!first) {
    deps.metrics?.count('SlackInteractions', { Outcome: 'replayed' });
    log.warn('slack.replay_ignored', {});
  }
  return first;
}

function formFields(rawBody: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody));
}

/** `POST /v1/slack/commands`: `/hallpass link`, `unlink`, `whoami`, `help`. Answers only the caller. */
export async function handleSlashCommand(
  deps: SlackCommandDeps,
  request: SlackHttpRequest,
): Promise<SlackAnswer> {
  if (!(await admit(deps, request))) return EMPTY;
  const parsed = SlashCommand.safeParse(formFields(request.rawBody));
  if (!parsed.success) throw new InvalidRequestError('not a Slack slash command');
  const { team_id: teamId, user_id: userId, command } = parsed.data;
  deps.metrics?.count('SlackInteractions', { Outcome: 'command' });
  const { teamIds } = deps.slack.settings;
  if (teamIds.length > 0 && !teamIds.includes(teamId)) {
    return ephemeralAnswer('This Slack workspace may not use hallpass.');
  }
  const verb = parsed.data.text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (verb === 'link') {
    const code = await createLinkCode(deps, teamId, userId);
    return ephemeralAnswer(
      `Your hallpass link code is *${code}* (valid 10 minutes, once). Enter it while signed in to hallpass: ` +
        `the web console's Slack page${deps.publicUrl ? ` (${new URL(deps.publicUrl).origin}/#/slack)` : ''}, ` +
        `or \`hallpass link ${code}\`. Only you can see this message; do not share the code.`,
    );
  }
  if (verb === 'unlink') {
    const sub = await unlinkFromSlack(deps, teamId, userId);
    return ephemeralAnswer(
      sub
        ? 'Your Slack account is no longer linked to hallpass.'
        : 'Your Slack account was not linked to hallpass.',
    );
  }
  if (verb === 'whoami') {
    const user = await getSlackUser(deps.slack.table, teamId, userId);
    return ephemeralAnswer(
      user
        ? `Your Slack account is linked to hallpass user *${userText(user.sub)}* since ${user.linkedAt}.`
        : 'Your Slack account is not linked to hallpass. Type `/hallpass link` to link it.',
    );
  }
  const name = userText(command);
  return ephemeralAnswer(
    `${name} link: get a one-time code to link your Slack account to hallpass\n` +
      `${name} unlink: remove the link\n${name} whoami: show the link`,
  );
}

/** `POST /v1/slack/interactions`: the buttons of a request's message and the Deny modal. */
export async function handleInteraction(deps: SlackDeps, request: SlackHttpRequest): Promise<SlackAnswer> {
  if (!(await admit(deps, request))) return EMPTY;
  let payload: unknown;
  try {
    payload = JSON.parse(formFields(request.rawBody).payload ?? '');
  } catch {
    throw new InvalidRequestError('not a Slack interaction: no JSON payload');
  }
  const type = (payload as { type?: unknown } | null)?.type;
  if (type === 'block_actions') {
    const parsed = BlockActions.safeParse(payload);
    if (!parsed.success) throw new InvalidRequestError('not a Slack block_actions payload');
    return onButton(deps, parsed.data);
  }
  if (type === 'view_submission') {
    const parsed = ViewSubmission.safeParse(payload);
    if (!parsed.success) throw new InvalidRequestError('not a Slack view_submission payload');
    return onDenySubmitted(deps, parsed.data);
  }
  // Other interaction types (a modal closed, a shortcut): nothing to do.
  return EMPTY;
}

async function onButton(deps: SlackDeps, p: BlockActions): Promise<SlackAnswer> {
  const action = p.actions[0];
  const requestId = action?.value ?? '';
  const channel = p.channel?.id ?? p.container?.channel_id;
  const tell = (text: string) => ephemeral(deps, channel, p.user.id, text);
  if (action?.action_id !== ACTION_APPROVE && action?.action_id !== ACTION_DENY) return EMPTY;
  const approver = await resolveApprover(deps, p);
  if ('problem' in approver) {
    deps.metrics?.count('SlackInteractions', {
      Outcome: approver.problem === 'stale-groups' ? 'stale-groups' : 'unlinked',
    });
    await tell(approver.text);
    return EMPTY;
  }
  const slackUser = `${actingTeams(p).teamId}/${p.user.id}`;
  if (action.action_id === ACTION_DENY) {
    // Only someone who could deny gets the modal: read the request under the API's visibility rule.
    const r = await getRequest(deps.requests, requestId);
    const who = approver.principal;
    if (r && r.requester.sub === who.sub) {
      await tell(refusalText(new SelfApprovalError('own request')));
      return EMPTY;
    }
    if (!r || !isEligibleApprover(r, findEntitlement(deps.catalog, r.entitlementId), who)) {
      deps.metrics?.count('SlackInteractions', { Outcome: 'refused' });
      await tell(refusalText(requestNotFound(requestId)));
      return EMPTY;
    }
    if (!p.trigger_id) throw new InvalidRequestError('a button press without a trigger_id');
    try {
      // Slack's trigger lasts 3 s from the click: a short budget, and a clear word if it passed.
      await deps.slack.api.call(
        'views.open',
        { trigger_id: p.trigger_id, view: denyModal(r.id, r.entitlementId) },
        { timeoutMs: 1500 },
      );
    } catch (error) {
      log.warn('slack.modal_failed', describeError(error));
      await tell(
        'hallpass could not open the Deny form in time. Press Deny again, or deny the request in hallpass (the web console or `hallpass deny`).',
      );
    }
    return EMPTY;
  }
  try {
    const decided = await deps.decisions.approve(approver.principal, requestId, { via: 'slack', slackUser });
    deps.metrics?.count('SlackInteractions', { Outcome: 'approved' });
    await tell(approvedText(decided));
  } catch (error) {
    deps.metrics?.count('SlackInteractions', { Outcome: 'refused' });
    await tell(refusalText(error, approver.groupsAt));
  }
  return EMPTY;
}

async function onDenySubmitted(deps: SlackDeps, p: ViewSubmission): Promise<SlackAnswer> {
  if (p.view.callback_id !== DENY_CALLBACK) return EMPTY;
  const modalError = (text: string): SlackAnswer => ({
    body: { response_action: 'errors', errors: { reason: text.slice(0, 300) } },
  });
  let requestId = '';
  try {
    requestId = String((JSON.parse(p.view.private_metadata) as { requestId?: unknown }).requestId ?? '');
  } catch {
    throw new InvalidRequestError('the modal carries no request');
  }
  // The API's own rule for a reason: trimmed, 1 to 1000 characters, no control or bidi character.
  const checked = DenyBody.safeParse({ reason: p.view.state.values.reason?.reason?.value ?? '' });
  if (!checked.success) {
    return modalError(
      `Say why, in at most ${REASON_MAX} characters of plain text (no control or direction-changing characters): the requester sees the reason.`,
    );
  }
  const { reason } = checked.data;
  const approver = await resolveApprover(deps, p);
  if ('problem' in approver) {
    deps.metrics?.count('SlackInteractions', {
      Outcome: approver.problem === 'stale-groups' ? 'stale-groups' : 'unlinked',
    });
    return modalError(approver.text);
  }
  try {
    await deps.decisions.deny(approver.principal, requestId, reason, {
      via: 'slack',
      slackUser: `${actingTeams(p).teamId}/${p.user.id}`,
    });
    deps.metrics?.count('SlackInteractions', { Outcome: 'denied' });
    return EMPTY;
  } catch (error) {
    deps.metrics?.count('SlackInteractions', { Outcome: 'refused' });
    return modalError(refusalText(error, approver.groupsAt));
  }
}

function approvedText(r: ApiRequest): string {
  return r.status === 'approved'
    ? `You approved the request for *${r.entitlementId}* by ${userText(r.requester.sub)}: it is approved.`
    : `You approved the request for *${r.entitlementId}* by ${userText(r.requester.sub)} (${r.approvals.length} of ${r.minApprovals} approvals).`;
}

/** What the clicker is told when the API's rules refuse them: the same reasons, in words. */
function refusalText(error: unknown, groupsAt?: string): string {
  if (error instanceof SelfApprovalError) return 'You cannot decide your own request. Nothing was done.';
  if (error instanceof NotFoundError)
    return 'That request does not exist, or you may not see it. Nothing was done.';
  if (error instanceof ForbiddenError) {
    return `Your groups${groupsAt ? ` (as hallpass last saw them, at ${groupsAt})` : ''} do not allow you to decide this request. Nothing was done.`;
  }
  if (error instanceof ConflictError) return `Nothing was done: ${error.message}.`;
  log.error('slack.decision_failed', describeError(error));
  return 'hallpass could not record your decision right now. Try again in a moment.';
}

/** Tells only the clicker; a failure to tell them is logged, never changes the outcome. */
async function ephemeral(
  deps: SlackCommandDeps,
  channel: string | undefined,
  user: string,
  text: string,
): Promise<void> {
  if (!channel) return;
  try {
    await deps.slack.api.call('chat.postEphemeral', { channel, user, text }, { timeoutMs: 1200 });
  } catch (error) {
    log.warn('slack.ephemeral_failed', describeError(error));
  }
}
