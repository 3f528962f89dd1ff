/**
 * Acting as a Slack user against a local hallpass: what Slack would send (a signed slash command, a
 * button click, a modal's submit) and what the user would then see (the command's answer, and the
 * ephemeral messages, updates and modals hallpass sends to the Slack fake). `npm run slack` is its
 * command line; tests may drive it directly. It talks only to loopback addresses.
 */
import {
  blockActionsBody,
  makeResponseUrl,
  makeTriggerId,
  slackHeaders,
  slashCommandBody,
  viewSubmissionBody,
} from './payloads.ts';
import type { SlackCall } from './server.ts';

export interface Simulator {
  /** hallpass's base URL, without `/v1` (http://127.0.0.1:3000). */
  apiUrl: string;
  /** The Slack fake's URL (http://127.0.0.1:3017). */
  slackUrl: string;
  signingSecret: string;
  teamId: string;
  /** How long to wait for hallpass's answer to show up in the Slack fake; 10 s by default. */
  waitMs?: number;
}

/** What hallpass answered to Slack's request, and what it sent to the Slack fake meanwhile. */
export interface Outcome {
  status: number;
  /** The HTTP answer's body: JSON when it is JSON, else the text ('' for an empty 200). */
  answer: unknown;
  /** The calls hallpass made to the Slack fake for this action. */
  calls: SlackCall[];
}

export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Refuses any address that is not this machine's: the simulator never talks to a real Slack or hallpass. */
export function loopbackUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SimulatorError(`${what} is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' || !LOOPBACK.has(parsed.hostname)) {
    throw new SimulatorError(`${what} must be a local http:// address (localhost, 127.0.0.1), not ${url}`);
  }
  return url.replace(/\/+$/, '');
}

export async function recordedCalls(slackUrl: string): Promise<SlackCall[]> {
  let response: Response;
  try {
    response = await fetch(`${slackUrl}/_calls`);
  } catch {
    throw new SimulatorError(`the Slack fake does not answer at ${slackUrl}: is npm start running?`);
  }
  if (!response.ok)
    throw new SimulatorError(`the Slack fake answered ${response.status} at ${slackUrl}/_calls`);
  return ((await response.json()) as { calls: SlackCall[] }).calls;
}

/** The request's approval message: the last one posted whose contents name the request id. */
export async function findRequestMessage(
  slackUrl: string,
  requestId: string,
): Promise<{ channel: string; ts: string; text: string; blocks?: unknown[] } | undefined> {
  const calls = await recordedCalls(slackUrl);
  const posted = calls.filter(
    (call) =>
      call.method === 'chat.postMessage' &&
      'ok' in call.response &&
      call.response.ok &&
      JSON.stringify(call.body).includes(requestId),
  );
  const last = posted.at(-1);
  if (!last || !('ok' in last.response) || !last.response.ok) return undefined;
  const channel = String(last.response.channel);
  const ts = String(last.response.ts);
  // As Slack shows it now: its last update, if any.
  const shown =
    calls.findLast(
      (call) =>
        call.method === 'chat.update' &&
        call.body.channel === channel &&
        call.body.ts === ts &&
        'ok' in call.response &&
        call.response.ok,
    )?.body ?? last.body;
  return {
    channel,
    ts,
    text: typeof shown.text === 'string' ? shown.text : '',
    ...(Array.isArray(shown.blocks) ? { blocks: shown.blocks } : {}),
  };
}

async function post(
  simulator: Simulator,
  path: string,
  body: string,
): Promise<{ status: number; answer: unknown }> {
  let response: Response;
  try {
    response = await fetch(`${simulator.apiUrl}${path}`, {
      method: 'POST',
      headers: slackHeaders(simulator.signingSecret, body),
      body,
    });
  } catch {
    throw new SimulatorError(`hallpass does not answer at ${simulator.apiUrl}: is npm start running?`);
  }
  const text = await response.text();
  let answer: unknown = text;
  try {
    answer = text ? JSON.parse(text) : '';
  } catch {}
  return { status: response.status, answer };
}

/**
 * The calls made to the Slack fake after the first `since`, once `done` says they are enough or the
 * wait is over (hallpass answers Slack at once and may act just after).
 */
async function callsAfter(
  simulator: Simulator,
  since: number,
  done: (calls: SlackCall[]) => boolean,
): Promise<SlackCall[]> {
  const deadline = Date.now() + (simulator.waitMs ?? 10_000);
  for (;;) {
    const calls = (await recordedCalls(simulator.slackUrl)).slice(since);
    if (done(calls) || Date.now() >= deadline) return calls;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const ephemeralTo = (userId: string) => (call: SlackCall) =>
  call.method === 'chat.postEphemeral' && call.body.user === userId;

/** `/hallpass <text>` typed by `userId`: the command's answer (Slack shows it to that user). */
export async function sendCommand(
  simulator: Simulator,
  command: { userId: string; text: string; channelId?: string; userName?: string },
): Promise<Outcome> {
  const since = (await recordedCalls(simulator.slackUrl)).length;
  const body = slashCommandBody({
    teamId: simulator.teamId,
    userId: command.userId,
    text: command.text,
    ...(command.userName ? { userName: command.userName } : {}),
    ...(command.channelId ? { channelId: command.channelId } : {}),
    responseUrl: makeResponseUrl('commands', simulator.teamId, `${simulator.slackUrl}/hooks`),
  });
  const { status, answer } = await post(simulator, '/v1/slack/commands', body);
  const calls = (await recordedCalls(simulator.slackUrl)).slice(since);
  return { status, answer, calls };
}

async function clickButton(
  simulator: Simulator,
  click: { requestId: string; userId: string; action: 'approve' | 'deny'; triggerId: string },
): Promise<{ status: number; answer: unknown; since: number }> {
  const message = await findRequestMessage(simulator.slackUrl, click.requestId);
  if (!message) {
    throw new SimulatorError(
      `no Slack message names request ${click.requestId} in the Slack fake's calls: is it pending, and does its entitlement notify Slack?`,
    );
  }
  const since = (await recordedCalls(simulator.slackUrl)).length;
  const body = blockActionsBody({
    teamId: simulator.teamId,
    userId: click.userId,
    actionId: `hallpass.${click.action}`,
    value: click.requestId,
    channelId: message.channel,
    messageTs: message.ts,
    messageText: message.text,
    ...(message.blocks ? { messageBlocks: message.blocks } : {}),
    triggerId: click.triggerId,
    responseUrl: makeResponseUrl('actions', simulator.teamId, `${simulator.slackUrl}/hooks`),
  });
  return { ...(await post(simulator, '/v1/slack/interactions', body)), since };
}

/** `userId` clicks Approve on the request's message. */
export async function approve(
  simulator: Simulator,
  click: { requestId: string; userId: string },
): Promise<Outcome> {
  const { status, answer, since } = await clickButton(simulator, {
    ...click,
    action: 'approve',
    triggerId: makeTriggerId(),
  });
  if (status !== 200) return { status, answer, calls: [] };
  const calls = await callsAfter(simulator, since, (made) => made.some(ephemeralTo(click.userId)));
  return { status, answer, calls };
}

/** The reason goes into the modal's first input (Slack's view.state.values[block_id][action_id]). */
function firstInput(view: Record<string, unknown>): { blockId: string; actionId: string } {
  const blocks = Array.isArray(view.blocks) ? (view.blocks as Array<Record<string, unknown>>) : [];
  const input = blocks.find((block) => block.type === 'input');
  const element = input?.element as Record<string, unknown> | undefined;
  return {
    blockId: typeof input?.block_id === 'string' ? input.block_id : 'reason',
    actionId: typeof element?.action_id === 'string' ? element.action_id : 'reason',
  };
}

/**
 * `userId` clicks Deny, then submits the modal hallpass opens with `reason` (left out: the input left
 * empty). Stops after the click when hallpass answers it with a message instead of a modal.
 */
export async function deny(
  simulator: Simulator,
  click: { requestId: string; userId: string; reason?: string },
): Promise<Outcome & { modal?: Record<string, unknown>; submitted?: boolean }> {
  const triggerId = makeTriggerId();
  const clicked = await clickButton(simulator, { ...click, action: 'deny', triggerId });
  if (clicked.status !== 200) return { status: clicked.status, answer: clicked.answer, calls: [] };
  const opening = (call: SlackCall) => call.method === 'views.open' && call.body.trigger_id === triggerId;
  const afterClick = await callsAfter(simulator, clicked.since, (made) =>
    made.some((call) => opening(call) || ephemeralTo(click.userId)(call)),
  );
  const opened = afterClick.find(opening);
  const modal =
    opened && 'ok' in opened.response && opened.response.ok
      ? (opened.response.view as Record<string, unknown>)
      : undefined;
  if (!modal) return { status: clicked.status, answer: clicked.answer, calls: afterClick };

  const since = (await recordedCalls(simulator.slackUrl)).length;
  const { blockId, actionId } = firstInput(modal);
  const body = viewSubmissionBody({
    teamId: simulator.teamId,
    userId: click.userId,
    callbackId: String(modal.callback_id ?? ''),
    privateMetadata: String(modal.private_metadata ?? ''),
    values: { [blockId]: { [actionId]: click.reason ?? null } },
    viewId: String(modal.id),
    ...(Array.isArray(modal.blocks) ? { blocks: modal.blocks } : {}),
    ...(modal.title ? { title: modal.title } : {}),
  });
  const { status, answer } = await post(simulator, '/v1/slack/interactions', body);
  const refused = typeof answer === 'object' && answer !== null && 'response_action' in answer;
  // Closing the modal may be all the clicker sees; the message's update or an ephemeral may follow.
  const feedback = (call: SlackCall) => ephemeralTo(click.userId)(call) || call.method === 'chat.update';
  const calls =
    status === 200 && !refused ? await callsAfter(simulator, since, (made) => made.some(feedback)) : [];
  return { status, answer, calls: [...afterClick, ...calls], modal, submitted: status === 200 && !refused };
}

/** One line per call, as the Slack user (or a test's reader) would see it. */
export function describeCall(call: SlackCall): string {
  const { body } = call;
  const text = typeof body.text === 'string' ? body.text.replace(/\s*\n\s*/g, ' / ') : '';
  const failed =
    'status' in call.response
      ? ` -> HTTP ${call.response.status}`
      : call.response.ok
        ? ''
        : ` -> ${call.response.error}`;
  switch (call.method) {
    case 'chat.postMessage':
      return `${call.at} message #${body.channel} ${text || '(blocks)'}${failed}`;
    case 'chat.update':
      return `${call.at} update #${body.channel} ${body.ts} ${text || '(blocks)'}${failed}`;
    case 'chat.postEphemeral':
      return `${call.at} ephemeral to ${body.user} in #${body.channel}: ${text || '(blocks)'}${failed}`;
    case 'views.open': {
      const view = (body.view ?? {}) as Record<string, unknown>;
      return `${call.at} modal ${view.callback_id ?? ''} for ${body.trigger_id}${failed}`;
    }
    default:
      return `${call.at} ${call.method} ${JSON.stringify(body)}${failed}`;
  }
}
