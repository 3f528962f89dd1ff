/**
 * Requests as Slack sends them to an app: slash commands (form fields), block_actions and
 * view_submission interactions (`payload=<JSON>`), signed with the app's signing secret. Tests and the
 * `npm run slack` simulator build hallpass's inbound Slack traffic here, with Slack's real field names
 * and shapes (api.slack.com: "Verifying requests from Slack", "block_actions payloads", "View
 * interaction payloads"), so the routes are tested against what Slack would send.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** The block the approval message's Approve and Deny buttons are in. */
export const DECIDE_BLOCK_ID = 'hallpass.decide';

const DEFAULTS = {
  teamDomain: 'hallpass-local',
  channelId: 'C0HALLPASS',
  channelName: 'hallpass',
  apiAppId: 'A0HALLPASS',
  /** The deprecated verification token Slack still sends; hallpass checks the signature instead. */
  token: 'local-verification-token',
} as const;

// A type, not an interface, so that fetch takes it as headers.
export type SlackSignatureHeaders = {
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
};

/**
 * Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed with the
 * signing secret. `timestamp` is in seconds, now by default.
 */
export function signSlackRequest(
  secret: string,
  rawBody: string,
  timestamp: number | string = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const ts = String(timestamp);
  const digest = createHmac('sha256', secret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${digest}` };
}

/** The headers of a signed form-encoded request, ready for fetch. */
export function slackHeaders(
  secret: string,
  rawBody: string,
  timestamp?: number | string,
): SlackSignatureHeaders & { 'content-type': string } {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    ...signSlackRequest(secret, rawBody, timestamp),
  };
}

/** A trigger id shaped like Slack's: `<digits>.<digits>.<32 hex>`. */
export function makeTriggerId(): string {
  const digits = (count: number) =>
    Array.from(randomBytes(count), (byte) => String(byte % 10))
      .join('')
      .replace(/^0/, '1');
  return `${digits(13)}.${digits(12)}.${randomBytes(16).toString('hex')}`;
}

/** A response_url shaped like Slack's, under `base` (Slack's hooks host unless told otherwise). */
export function makeResponseUrl(
  kind: 'commands' | 'actions',
  teamId: string,
  base = 'https://hooks.slack.com',
) {
  const digits = Array.from(randomBytes(12), (byte) => String(byte % 10)).join('');
  return `${base}/${kind}/${teamId}/${digits}/${randomBytes(12).toString('base64url')}`;
}

const username = (userId: string, userName: string | undefined) => userName ?? userId.toLowerCase();

export interface SlashCommand {
  teamId: string;
  userId: string;
  /** Default: the user id in lower case. */
  userName?: string;
  text: string;
  /** Default `/hallpass`. */
  command?: string;
  /** Default C0HALLPASS. */
  channelId?: string;
  channelName?: string;
  teamDomain?: string;
  responseUrl?: string;
  triggerId?: string;
}

/** The form-encoded body of a slash command, fields in the order Slack sends them. */
export function slashCommandBody(command: SlashCommand): string {
  return new URLSearchParams({
    token: DEFAULTS.token,
    team_id: command.teamId,
    team_domain: command.teamDomain ?? DEFAULTS.teamDomain,
    channel_id: command.channelId ?? DEFAULTS.channelId,
    channel_name: command.channelName ?? DEFAULTS.channelName,
    user_id: command.userId,
    user_name: username(command.userId, command.userName),
    command: command.command ?? '/hallpass',
    text: command.text,
    api_app_id: DEFAULTS.apiAppId,
    response_url: command.responseUrl ?? makeResponseUrl('commands', command.teamId),
    trigger_id: command.triggerId ?? makeTriggerId(),
  }).toString();
}

/** `payload=<JSON>`, form-encoded, as Slack posts every interaction. */
const interactionBody = (payload: object) =>
  new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

const slackUser = (teamId: string, userId: string, userName?: string) => ({
  id: userId,
  username: username(userId, userName),
  name: username(userId, userName),
  team_id: teamId,
});

export interface BlockAction {
  teamId: string;
  userId: string;
  userName?: string;
  /** `hallpass.approve` or `hallpass.deny`. */
  actionId: string;
  /** The button's value: the request id. */
  value: string;
  channelId: string;
  channelName?: string;
  /** The ts of the message whose button was clicked. */
  messageTs: string;
  /** The clicked message as Slack shows it back to the app. */
  messageText?: string;
  messageBlocks?: unknown[];
  /** The button's label; default: the action id's last part, capitalised. */
  buttonText?: string;
  triggerId?: string;
  responseUrl?: string;
  teamDomain?: string;
}

/** A click on a message button: a form-encoded `block_actions` interaction. */
export function blockActionsBody(action: BlockAction): string {
  const label = action.actionId.split('.').pop() ?? action.actionId;
  const teamDomain = action.teamDomain ?? DEFAULTS.teamDomain;
  return interactionBody({
    type: 'block_actions',
    user: slackUser(action.teamId, action.userId, action.userName),
    api_app_id: DEFAULTS.apiAppId,
    token: DEFAULTS.token,
    container: {
      type: 'message',
      message_ts: action.messageTs,
      channel_id: action.channelId,
      is_ephemeral: false,
    },
    trigger_id: action.triggerId ?? makeTriggerId(),
    team: { id: action.teamId, domain: teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: action.channelId, name: action.channelName ?? DEFAULTS.channelName },
    message: {
      type: 'message',
      ts: action.messageTs,
      text: action.messageText ?? '',
      ...(action.messageBlocks ? { blocks: action.messageBlocks } : {}),
    },
    state: { values: {} },
    response_url: action.responseUrl ?? makeResponseUrl('actions', action.teamId),
    actions: [
      {
        action_id: action.actionId,
        block_id: DECIDE_BLOCK_ID,
        value: action.value,
        type: 'button',
        action_ts: `${(Date.now() / 1000).toFixed(6)}`,
        text: {
          type: 'plain_text',
          text: action.buttonText ?? `${label.charAt(0).toUpperCase()}${label.slice(1)}`,
          emoji: true,
        },
      },
    ],
  });
}

export interface ViewSubmission {
  teamId: string;
  userId: string;
  userName?: string;
  /** The modal's callback_id, e.g. `hallpass.deny`. */
  callbackId: string;
  /** The modal's private_metadata, as it was opened (a string; hallpass puts JSON in it). */
  privateMetadata: string;
  /** What the user typed: block_id -> action_id -> value (null: an optional input left empty). */
  values: Record<string, Record<string, string | null>>;
  /** The opened view's id (views.open's answer); one is made up when left out. */
  viewId?: string;
  /** The opened view's blocks and title, when the test has them. */
  blocks?: unknown[];
  title?: unknown;
  triggerId?: string;
  teamDomain?: string;
}

/** A modal's submit: a form-encoded `view_submission` interaction with the inputs' state. */
export function viewSubmissionBody(submission: ViewSubmission): string {
  const viewId = submission.viewId ?? `V${randomBytes(5).toString('hex').toUpperCase()}`;
  const values = Object.fromEntries(
    Object.entries(submission.values).map(([blockId, actions]) => [
      blockId,
      Object.fromEntries(
        Object.entries(actions).map(([actionId, value]) => [actionId, { type: 'plain_text_input', value }]),
      ),
    ]),
  );
  return interactionBody({
    type: 'view_submission',
    team: { id: submission.teamId, domain: submission.teamDomain ?? DEFAULTS.teamDomain },
    user: slackUser(submission.teamId, submission.userId, submission.userName),
    api_app_id: DEFAULTS.apiAppId,
    token: DEFAULTS.token,
    trigger_id: submission.triggerId ?? makeTriggerId(),
    view: {
      id: viewId,
      team_id: submission.teamId,
      type: 'modal',
      blocks: submission.blocks ?? [],
      private_metadata: submission.privateMetadata,
      callback_id: submission.callbackId,
      state: { values },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      title: submission.title ?? { type: 'plain_text', text: 'hallpass', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: { type: 'plain_text', text: 'Submit', emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: DEFAULTS.apiAppId,
      external_id: '',
      app_installed_team_id: submission.teamId,
      bot_id: 'B0HALLPASS',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  });
}
