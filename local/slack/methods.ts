// The Web API methods the local Slack answers, as Slack answers them: the arguments as Slack reads
// them (JSON or form fields, `blocks` and `view` possibly JSON in a string), the errors it names, and
// the messages it keeps so that chat.update finds only what was posted.
import { randomBytes } from 'node:crypto';

export type Args = Record<string, unknown>;
export type Answer = { ok: true; [field: string]: unknown } | { ok: false; error: string };

/** Who the fake's bot is, in auth.test and in the messages it posts. */
export interface Workspace {
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
}

export interface MethodContext {
  workspace: Workspace;
  /** channel -> ts -> the message as posted or last updated. */
  messages: Map<string, Map<string, Args>>;
  /** A new message ts: `<seconds>.<6 digits>`, unique and increasing in this fake. */
  nextTs(): string;
  /** Gets one line per message shown to someone, when the fake prints. */
  print?: (line: string) => void;
}

const invalid: Answer = { ok: false, error: 'invalid_arguments' };

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Fields Slack takes as JSON even in a form-encoded body. */
export function decodeJsonFields(args: Args): Args {
  const decoded: Args = { ...args };
  for (const field of ['blocks', 'attachments', 'view', 'metadata']) {
    const value = decoded[field];
    if (typeof value !== 'string') continue;
    try {
      decoded[field] = JSON.parse(value);
    } catch {
      // Slack answers invalid_blocks / invalid_arguments for these; the method's check does.
      decoded[field] = undefined;
    }
  }
  return decoded;
}

/** What a message shows as one line: its text, else the text of its blocks. */
export function shownText(args: Args): string {
  const own = text(args.text);
  const fromBlocks = Array.isArray(args.blocks)
    ? (args.blocks as Args[])
        .flatMap((block) => [block.text, ...(Array.isArray(block.fields) ? block.fields : [])])
        .map((part) => text((part as Args | undefined)?.text))
        .filter((part): part is string => Boolean(part))
        .join(' | ')
    : '';
  return (own || fromBlocks).replace(/\s*\n\s*/g, ' / ');
}

const hasContent = (args: Args) =>
  Boolean(text(args.text)) || (Array.isArray(args.blocks) && args.blocks.length > 0);

function postMessage(args: Args, context: MethodContext): Answer {
  const channel = text(args.channel);
  if (!channel || !hasContent(args)) return invalid;
  const ts = context.nextTs();
  const message = botMessage(args, ts, context.workspace);
  const channelMessages = context.messages.get(channel) ?? new Map<string, Args>();
  context.messages.set(channel, channelMessages.set(ts, message));
  context.print?.(`#${channel} ${shownText(args)}`);
  return { ok: true, channel, ts, message };
}

function update(args: Args, context: MethodContext): Answer {
  const channel = text(args.channel);
  const ts = text(args.ts);
  if (!channel || !ts || !hasContent(args)) return invalid;
  const existing = context.messages.get(channel)?.get(ts);
  if (!existing) return { ok: false, error: 'message_not_found' };
  const message = botMessage(args, ts, context.workspace);
  context.messages.get(channel)?.set(ts, message);
  context.print?.(`#${channel} (updated) ${shownText(args)}`);
  return { ok: true, channel, ts, text: text(args.text) ?? '', message };
}

function postEphemeral(args: Args, context: MethodContext): Answer {
  const channel = text(args.channel);
  const user = text(args.user);
  if (!channel || !user || !hasContent(args)) return invalid;
  context.print?.(`ephemeral to ${user} in #${channel}: ${shownText(args)}`);
  return { ok: true, message_ts: context.nextTs() };
}

function viewsOpen(args: Args, context: MethodContext): Answer {
  const triggerId = text(args.trigger_id);
  const view = args.view;
  if (!triggerId || typeof view !== 'object' || view === null || Array.isArray(view)) return invalid;
  const { workspace } = context;
  const id = `V${randomBytes(5).toString('hex').toUpperCase()}`;
  const opened = {
    id,
    team_id: workspace.teamId,
    type: 'modal',
    private_metadata: '',
    callback_id: '',
    external_id: '',
    clear_on_close: false,
    notify_on_close: false,
    close: null,
    submit: null,
    ...(view as Args),
    state: { values: {} },
    hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
    previous_view_id: null,
    root_view_id: id,
    app_id: workspace.appId,
    app_installed_team_id: workspace.teamId,
    bot_id: workspace.botId,
  };
  context.print?.(`modal ${opened.callback_id || '(no callback_id)'} for ${triggerId}`);
  return { ok: true, view: opened };
}

function authTest(_args: Args, { workspace }: MethodContext): Answer {
  return {
    ok: true,
    url: `https://${workspace.teamDomain}.slack.com/`,
    team: workspace.teamDomain,
    user: 'hallpass',
    team_id: workspace.teamId,
    user_id: workspace.botUserId,
    bot_id: workspace.botId,
    is_enterprise_install: false,
  };
}

function botMessage(args: Args, ts: string, workspace: Workspace): Args {
  return {
    type: 'message',
    user: workspace.botUserId,
    bot_id: workspace.botId,
    app_id: workspace.appId,
    team: workspace.teamId,
    text: text(args.text) ?? '',
    ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
    ts,
  };
}

export const METHODS: Record<string, (args: Args, context: MethodContext) => Answer> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'views.open': viewsOpen,
  'auth.test': authTest,
};
