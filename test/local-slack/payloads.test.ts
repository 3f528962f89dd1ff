import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  blockActionsBody,
  DECIDE_BLOCK_ID,
  signSlackRequest,
  slackHeaders,
  slashCommandBody,
  viewSubmissionBody,
} from '../../local/slack/payloads.ts';

// The worked example of Slack's "Verifying requests from Slack".
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

/** The interaction's JSON, read back as an app reads it. */
const payloadOf = (body: string) => JSON.parse(new URLSearchParams(body).get('payload') ?? 'null');

describe('signSlackRequest', () => {
  it("computes the signature of Slack's documented example", () => {
    expect(signSlackRequest(DOC_SECRET, DOC_BODY, DOC_TIMESTAMP)).toEqual({
      'x-slack-request-timestamp': DOC_TIMESTAMP,
      'x-slack-signature': DOC_SIGNATURE,
    });
  });

  it('takes the timestamp as a number too', () => {
    expect(signSlackRequest(DOC_SECRET, DOC_BODY, Number(DOC_TIMESTAMP))['x-slack-signature']).toBe(
      DOC_SIGNATURE,
    );
  });

  it('signs a different body differently', () => {
    const tampered = DOC_BODY.replace('user_id=U2CERLKJA', 'user_id=U0MALLORY');

    expect(signSlackRequest(DOC_SECRET, tampered, DOC_TIMESTAMP)['x-slack-signature']).not.toBe(
      DOC_SIGNATURE,
    );
  });

  it('stamps the current time in seconds when no timestamp is given', () => {
    const { 'x-slack-request-timestamp': ts, 'x-slack-signature': signature } = signSlackRequest('s', 'body');

    expect(ts).toMatch(/^\d{10}$/);
    expect(signature).toBe(`v0=${createHmac('sha256', 's').update(`v0:${ts}:body`).digest('hex')}`);
  });

  it('gives the form content type with the signed headers', () => {
    expect(slackHeaders(DOC_SECRET, DOC_BODY, DOC_TIMESTAMP)).toEqual({
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': DOC_TIMESTAMP,
      'x-slack-signature': DOC_SIGNATURE,
    });
  });
});

describe('slashCommandBody', () => {
  it("sends Slack's fields in Slack's order", () => {
    const body = slashCommandBody({ teamId: 'T0LOCAL', userId: 'U0ALICE', text: 'link' });

    expect([...new URLSearchParams(body).keys()]).toEqual([
      ...[...new URLSearchParams(DOC_BODY).keys()].slice(0, 9),
      'api_app_id',
      'response_url',
      'trigger_id',
    ]);
  });

  it('fills in the command and its defaults', () => {
    const fields = Object.fromEntries(
      new URLSearchParams(slashCommandBody({ teamId: 'T0LOCAL', userId: 'U0ALICE', text: 'link' })),
    );

    expect(fields).toMatchObject({
      team_id: 'T0LOCAL',
      user_id: 'U0ALICE',
      user_name: 'u0alice',
      command: '/hallpass',
      text: 'link',
      channel_id: 'C0HALLPASS',
      response_url: expect.stringMatching(/^https:\/\/hooks\.slack\.com\/commands\/T0LOCAL\/\d+\/\S+$/),
      trigger_id: expect.stringMatching(/^\d+\.\d+\.[0-9a-f]{32}$/),
    });
  });

  it('form-encodes the text as Slack does', () => {
    const body = slashCommandBody({
      teamId: 'T0LOCAL',
      userId: 'U0ALICE',
      userName: 'alice',
      text: 'link now/please',
      channelId: 'C0ELSE',
      responseUrl: 'http://127.0.0.1:3017/hooks/commands/T0LOCAL/1/x',
      triggerId: '1.2.3',
    });

    expect(body).toContain('&command=%2Fhallpass&text=link+now%2Fplease&');
    expect(Object.fromEntries(new URLSearchParams(body))).toMatchObject({
      user_name: 'alice',
      channel_id: 'C0ELSE',
      response_url: 'http://127.0.0.1:3017/hooks/commands/T0LOCAL/1/x',
      trigger_id: '1.2.3',
    });
  });
});

describe('blockActionsBody', () => {
  const click = {
    teamId: 'T0LOCAL',
    userId: 'U0BOB',
    actionId: 'hallpass.approve',
    value: 'req-123',
    channelId: 'C0HALLPASS',
    messageTs: '1700000000.000001',
  };

  it('is a form with one payload field', () => {
    expect([...new URLSearchParams(blockActionsBody(click)).keys()]).toEqual(['payload']);
  });

  it("has Slack's block_actions shape", () => {
    expect(
      payloadOf(blockActionsBody({ ...click, triggerId: '1.2.3', responseUrl: 'http://x/hooks/1' })),
    ).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB', username: 'u0bob', name: 'u0bob', team_id: 'T0LOCAL' },
      api_app_id: expect.any(String),
      token: expect.any(String),
      container: {
        type: 'message',
        message_ts: click.messageTs,
        channel_id: 'C0HALLPASS',
        is_ephemeral: false,
      },
      trigger_id: '1.2.3',
      team: { id: 'T0LOCAL', domain: expect.any(String) },
      channel: { id: 'C0HALLPASS', name: expect.any(String) },
      message: { type: 'message', ts: click.messageTs, text: '' },
      response_url: 'http://x/hooks/1',
      actions: [
        {
          action_id: 'hallpass.approve',
          block_id: DECIDE_BLOCK_ID,
          value: 'req-123',
          type: 'button',
          action_ts: expect.stringMatching(/^\d+\.\d{6}$/),
          text: { type: 'plain_text', text: 'Approve' },
        },
      ],
    });
  });

  it('carries the clicked message back, as Slack does', () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'alice asks' } }];

    const { message } = payloadOf(
      blockActionsBody({ ...click, messageText: 'alice asks', messageBlocks: blocks }),
    );

    expect(message).toEqual({ type: 'message', ts: click.messageTs, text: 'alice asks', blocks });
  });

  it('labels a Deny button Deny', () => {
    expect(payloadOf(blockActionsBody({ ...click, actionId: 'hallpass.deny' })).actions[0].text.text).toBe(
      'Deny',
    );
  });
});

describe('viewSubmissionBody', () => {
  const submission = {
    teamId: 'T0LOCAL',
    userId: 'U0BOB',
    callbackId: 'hallpass.deny',
    privateMetadata: JSON.stringify({ requestId: 'req-123' }),
    values: { reason: { reason: 'not during the freeze' } },
  };

  it("has Slack's view_submission shape, the inputs in view.state.values", () => {
    expect(payloadOf(viewSubmissionBody({ ...submission, viewId: 'V0TEST' }))).toMatchObject({
      type: 'view_submission',
      team: { id: 'T0LOCAL' },
      user: { id: 'U0BOB', team_id: 'T0LOCAL' },
      view: {
        id: 'V0TEST',
        type: 'modal',
        callback_id: 'hallpass.deny',
        private_metadata: submission.privateMetadata,
        state: {
          values: { reason: { reason: { type: 'plain_text_input', value: 'not during the freeze' } } },
        },
      },
    });
  });

  it('sends an empty optional input as null', () => {
    const { view } = payloadOf(viewSubmissionBody({ ...submission, values: { reason: { reason: null } } }));

    expect(view.state.values.reason.reason).toEqual({ type: 'plain_text_input', value: null });
  });
});
