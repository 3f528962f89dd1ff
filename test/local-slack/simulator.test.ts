import { execFile } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../../local/loopback.ts';
import {
  approve,
  deny,
  findRequestMessage,
  loopbackUrl,
  type Simulator,
  SimulatorError,
  sendCommand,
} from '../../local/slack/simulator.ts';
import { BOT_TOKEN, callSlack, useLocalSlack } from './helpers.ts';

const SIGNING_SECRET = '00112233445566778899aabbccddeeff';
const slack = await useLocalSlack();

/** The parts of Slack's interaction payloads the stand-in reads. */
interface Payload {
  type: string;
  user: { id: string };
  trigger_id: string;
  container: { channel_id: string; message_ts: string };
  actions: Array<{ action_id: string; value: string }>;
  view: {
    id: string;
    private_metadata: string;
    state: { values: Record<string, Record<string, { value: string | null }>> };
  };
}

/** What the stand-in for hallpass received, payloads decoded. */
const received: Array<{ path: string; fields: Record<string, string>; payload?: Payload }> = [];

const signedBySlack = (req: IncomingMessage, body: string) => {
  const ts = String(req.headers['x-slack-request-timestamp']);
  const expected = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const given = String(req.headers['x-slack-signature']);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
};

const toSlack = (method: string, args: object) => callSlack(slack, method, args, BOT_TOKEN);

/**
 * A stand-in for hallpass's Slack routes, as the design has them: answers at once, then posts its
 * feedback to Slack; Deny opens a modal whose submit denies, a reason required.
 */
const hallpass = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  if (!signedBySlack(req, body)) return res.writeHead(401).end();
  const fields = Object.fromEntries(new URLSearchParams(body));
  const payload = fields.payload ? (JSON.parse(fields.payload) as Payload) : undefined;
  received.push({ path: req.url ?? '', fields, ...(payload ? { payload } : {}) });

  if (req.url === '/v1/slack/commands') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({ response_type: 'ephemeral', text: `Your code, ${fields.user_id}: ABCDE-FGHIJ` }),
    );
  }
  if (!payload) return res.writeHead(400).end();
  const user = payload.user.id;
  if (payload.type === 'view_submission') {
    const reason = payload.view.state.values.reason?.reason?.value;
    if (!reason) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ response_action: 'errors', errors: { reason: 'Say why.' } }));
    }
    res.writeHead(200).end();
    const { requestId } = JSON.parse(payload.view.private_metadata);
    await toSlack('chat.postEphemeral', { channel: 'C0HALLPASS', user, text: `You denied ${requestId}.` });
    return;
  }
  res.writeHead(200).end();
  const [action] = payload.actions;
  if (!action) return;
  if (action.action_id === 'hallpass.approve') {
    const { channel_id: channel, message_ts: ts } = payload.container;
    await toSlack('chat.update', { channel, ts, text: `Approved by <@${user}>` });
    await toSlack('chat.postEphemeral', { channel, user, text: `You approved ${action.value}.` });
  } else {
    await toSlack('views.open', {
      trigger_id: payload.trigger_id,
      view: {
        type: 'modal',
        callback_id: 'hallpass.deny',
        private_metadata: JSON.stringify({ requestId: action.value }),
        title: { type: 'plain_text', text: 'Deny' },
        blocks: [
          {
            type: 'input',
            block_id: 'reason',
            label: { type: 'plain_text', text: 'Why?' },
            element: { type: 'plain_text_input', action_id: 'reason' },
          },
        ],
      },
    });
  }
});
const api = await listenOnLoopback(hallpass);
afterAll(() => api.close());

const simulator: Simulator = {
  apiUrl: api.url,
  slackUrl: slack.url,
  signingSecret: SIGNING_SECRET,
  teamId: 'T0LOCAL',
  waitMs: 10_000,
};

/** The approval message hallpass posts for a request: Approve and Deny carry its id. */
async function postApprovalMessage(requestId: string): Promise<string> {
  const { body } = await toSlack('chat.postMessage', {
    channel: 'C0HALLPASS',
    text: `alice asks for prod-admin (${requestId})`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: '*alice* asks for *prod-admin*' } },
      {
        type: 'actions',
        block_id: 'hallpass.decide',
        elements: [
          {
            type: 'button',
            action_id: 'hallpass.approve',
            value: requestId,
            text: { type: 'plain_text', text: 'Approve' },
          },
          {
            type: 'button',
            action_id: 'hallpass.deny',
            value: requestId,
            text: { type: 'plain_text', text: 'Deny' },
          },
        ],
      },
    ],
  });
  return body.ts as string;
}

beforeEach(() => {
  slack.clear();
  received.length = 0;
});

describe('the Slack simulator', () => {
  it('sends a signed slash command and returns its answer', async () => {
    const outcome = await sendCommand(simulator, { userId: 'U0ALICE', text: 'link' });

    expect(outcome).toMatchObject({
      status: 200,
      answer: { response_type: 'ephemeral', text: 'Your code, U0ALICE: ABCDE-FGHIJ' },
    });
    expect(received[0]?.fields).toMatchObject({
      team_id: 'T0LOCAL',
      user_id: 'U0ALICE',
      command: '/hallpass',
      text: 'link',
    });
  });

  it("points the command's response_url at the Slack fake, never at Slack", async () => {
    await sendCommand(simulator, { userId: 'U0ALICE', text: 'help' });

    expect(received[0]?.fields.response_url?.startsWith(`${slack.url}/hooks/commands/T0LOCAL/`)).toBe(true);
  });

  it("finds the request's message among the calls", async () => {
    const ts = await postApprovalMessage('req-find');

    expect(await findRequestMessage(slack.url, 'req-find')).toMatchObject({ channel: 'C0HALLPASS', ts });
    expect(await findRequestMessage(slack.url, 'req-other')).toBeUndefined();
  });

  it("clicks Approve on the request's message and returns what hallpass told the clicker", async () => {
    const ts = await postApprovalMessage('req-approve');

    const outcome = await approve(simulator, { requestId: 'req-approve', userId: 'U0BOB' });

    expect(received[0]?.payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB' },
      container: { message_ts: ts, channel_id: 'C0HALLPASS' },
      actions: [{ action_id: 'hallpass.approve', value: 'req-approve' }],
    });
    expect(outcome.calls.map((call) => call.method)).toEqual(['chat.update', 'chat.postEphemeral']);
    expect(outcome.calls[1]?.body).toMatchObject({ user: 'U0BOB', text: 'You approved req-approve.' });
  });

  it('refuses to click for a request no message names', async () => {
    await expect(approve(simulator, { requestId: 'req-none', userId: 'U0BOB' })).rejects.toThrow(
      SimulatorError,
    );
  });

  it('clicks Deny, then submits the modal hallpass opened with the reason', async () => {
    await postApprovalMessage('req-deny');

    const outcome = await deny(simulator, {
      requestId: 'req-deny',
      userId: 'U0BOB',
      reason: 'not in the freeze',
    });

    const submitted = received[1]?.payload;
    expect(submitted).toMatchObject({
      type: 'view_submission',
      user: { id: 'U0BOB' },
      view: {
        callback_id: 'hallpass.deny',
        private_metadata: JSON.stringify({ requestId: 'req-deny' }),
        state: { values: { reason: { reason: { type: 'plain_text_input', value: 'not in the freeze' } } } },
      },
    });
    expect(submitted?.view.id).toBe(outcome.modal?.id);
    expect(outcome.calls.at(-1)?.body).toMatchObject({ user: 'U0BOB', text: 'You denied req-deny.' });
    expect(outcome.submitted).toBe(true);
  });

  it("returns the modal's refusal when the reason is left empty", async () => {
    await postApprovalMessage('req-empty');

    const outcome = await deny(simulator, { requestId: 'req-empty', userId: 'U0BOB' });

    expect(outcome.answer).toEqual({ response_action: 'errors', errors: { reason: 'Say why.' } });
    expect(outcome.submitted).toBe(false);
  });

  it('talks only to local addresses', () => {
    expect(() => loopbackUrl('https://slack.com/api/', 'the Slack fake')).toThrow(SimulatorError);
    expect(() => loopbackUrl('http://hallpass.example.com', 'hallpass')).toThrow(SimulatorError);
    expect(loopbackUrl('http://localhost:3000/', 'hallpass')).toBe('http://localhost:3000');
  });
});

describe('npm run slack', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'hallpass-slack-sim-'));
  writeFileSync(
    join(stateDir, 'slack-secrets.json'),
    JSON.stringify({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN }),
  );
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  const run = (...args: string[]) =>
    promisify(execFile)(
      'node_modules/.bin/tsx',
      ['scripts/slack.ts', ...args, '--api', api.url, '--slack-url', slack.url],
      { env: { ...process.env, HALLPASS_STATE_DIR: stateDir } },
    );

  it("prints a slash command's answer", async () => {
    const { stdout } = await run('command', 'link', '--user', 'U0ALICE');

    expect(stdout).toBe('Your code, U0ALICE: ABCDE-FGHIJ\n');
  });

  it('prints what the click made hallpass send, never the secrets', async () => {
    await postApprovalMessage('req-cli');

    const { stdout } = await run('approve', 'req-cli', '--user', 'U0BOB');

    expect(stdout).toMatch(/ephemeral to U0BOB in #C0HALLPASS: You approved req-cli\.\n$/);
    expect(stdout).not.toContain(SIGNING_SECRET);
    expect(stdout).not.toContain(BOT_TOKEN);
  });

  it('refuses a user id that is not a Slack one', async () => {
    await expect(run('command', 'link', '--user', 'alice')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--user must be a Slack user id'),
    });
  });
});
