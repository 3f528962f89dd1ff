import { beforeEach, describe, expect, it } from 'vitest';
import { BOT_TOKEN, callSlack, useLocalSlack } from './helpers.ts';

const printed: string[] = [];
const slack = await useLocalSlack({ print: (line) => printed.push(line) });

beforeEach(() => {
  slack.clear();
  printed.length = 0;
});

const post = (args: object = {}) =>
  callSlack(slack, 'chat.postMessage', { channel: 'C0HALLPASS', text: 'alice asks for prod-admin', ...args });

describe('who may call the local Slack', () => {
  it('refuses a call without a bearer token, with HTTP 200 as Slack does', async () => {
    const { status, body } = await callSlack(slack, 'chat.postMessage', { channel: 'C0', text: 'hi' }, null);

    expect(status).toBe(200);
    expect(body).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('refuses a token other than its bot token', async () => {
    const { body } = await callSlack(slack, 'auth.test', {}, 'xoxb-someone-else');

    expect(body).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('answers auth.test for its bot token', async () => {
    const { body } = await callSlack(slack, 'auth.test', {});

    expect(body).toMatchObject({ ok: true, team_id: 'T0LOCAL', user_id: 'U0HALLPASS', bot_id: 'B0HALLPASS' });
  });

  it('answers an unknown method with unknown_method', async () => {
    expect((await callSlack(slack, 'chat.delete', { channel: 'C0', ts: '1.000001' })).body).toEqual({
      ok: false,
      error: 'unknown_method',
    });
  });
});

describe('chat.postMessage', () => {
  it('answers the channel, a Slack-shaped ts and the message', async () => {
    const { body } = await post();

    expect(body).toMatchObject({
      ok: true,
      channel: 'C0HALLPASS',
      ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
      message: { type: 'message', text: 'alice asks for prod-admin', bot_id: 'B0HALLPASS' },
    });
    expect((body.message as { ts: string }).ts).toBe(body.ts);
  });

  it('gives each message its own ts', async () => {
    const first = await post();
    const second = await post();

    expect(second.body.ts).not.toBe(first.body.ts);
  });

  it('takes blocks without text', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*alice* asks' } }];

    const { body } = await callSlack(slack, 'chat.postMessage', { channel: 'C0HALLPASS', blocks });

    expect(body).toMatchObject({ ok: true, message: { blocks } });
  });

  it('takes a form-encoded body, with blocks as JSON in a field, as Slack does', async () => {
    const blocks = [{ type: 'section', text: { type: 'plain_text', text: 'from a form' } }];
    const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Bearer ${BOT_TOKEN}`,
      },
      body: new URLSearchParams({ channel: 'C0FORM', blocks: JSON.stringify(blocks) }).toString(),
    });

    expect(await response.json()).toMatchObject({ ok: true, channel: 'C0FORM' });
    expect(slack.calls()[0]?.body).toEqual({ channel: 'C0FORM', blocks });
  });

  it('refuses a message without a channel', async () => {
    expect((await callSlack(slack, 'chat.postMessage', { text: 'lost' })).body).toEqual({
      ok: false,
      error: 'invalid_arguments',
    });
  });

  it('refuses a message with neither text nor blocks', async () => {
    expect((await callSlack(slack, 'chat.postMessage', { channel: 'C0HALLPASS' })).body).toEqual({
      ok: false,
      error: 'invalid_arguments',
    });
  });

  it('answers invalid_json to a body that is not JSON', async () => {
    const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BOT_TOKEN}` },
      body: '{"channel":',
    });

    expect(await response.json()).toEqual({ ok: false, error: 'invalid_json' });
  });
});

describe('chat.update', () => {
  it('updates a message it posted', async () => {
    const { body: posted } = await post();

    const { body } = await callSlack(slack, 'chat.update', {
      channel: 'C0HALLPASS',
      ts: posted.ts,
      text: 'approved by bob',
    });

    expect(body).toMatchObject({ ok: true, channel: 'C0HALLPASS', ts: posted.ts, text: 'approved by bob' });
  });

  it('answers message_not_found for a ts it never posted', async () => {
    const { body } = await callSlack(slack, 'chat.update', {
      channel: 'C0HALLPASS',
      ts: '1.000001',
      text: 'x',
    });

    expect(body).toEqual({ ok: false, error: 'message_not_found' });
  });

  it('answers message_not_found for a ts posted in another channel', async () => {
    const { body: posted } = await post({ channel: 'C0OTHER' });

    const { body } = await callSlack(slack, 'chat.update', {
      channel: 'C0HALLPASS',
      ts: posted.ts,
      text: 'x',
    });

    expect(body).toEqual({ ok: false, error: 'message_not_found' });
  });
});

describe('chat.postEphemeral and views.open', () => {
  it('answers an ephemeral message with its message_ts', async () => {
    const { body } = await callSlack(slack, 'chat.postEphemeral', {
      channel: 'C0HALLPASS',
      user: 'U0BOB',
      text: 'You approved it.',
    });

    expect(body).toEqual({ ok: true, message_ts: expect.stringMatching(/^\d{10}\.\d{6}$/) });
  });

  it('refuses an ephemeral message without a user', async () => {
    const { body } = await callSlack(slack, 'chat.postEphemeral', {
      channel: 'C0HALLPASS',
      text: 'to whom?',
    });

    expect(body).toEqual({ ok: false, error: 'invalid_arguments' });
  });

  it('opens a modal, keeping its callback_id and private_metadata', async () => {
    const view = {
      type: 'modal',
      callback_id: 'hallpass.deny',
      private_metadata: JSON.stringify({ requestId: 'req-1' }),
      title: { type: 'plain_text', text: 'Deny' },
      blocks: [],
    };

    const { body } = await callSlack(slack, 'views.open', { trigger_id: '1.2.abc', view });

    expect(body).toMatchObject({
      ok: true,
      view: {
        id: expect.stringMatching(/^V[0-9A-Z]+$/),
        callback_id: 'hallpass.deny',
        private_metadata: view.private_metadata,
      },
    });
  });

  it('refuses views.open without a trigger_id', async () => {
    const { body } = await callSlack(slack, 'views.open', { view: { type: 'modal', blocks: [] } });

    expect(body).toEqual({ ok: false, error: 'invalid_arguments' });
  });

  it('refuses views.open without a view', async () => {
    expect((await callSlack(slack, 'views.open', { trigger_id: '1.2.abc' })).body).toEqual({
      ok: false,
      error: 'invalid_arguments',
    });
  });
});

describe('the recorded calls', () => {
  it('lists every call in arrival order with its method, arguments, time and answer', async () => {
    await callSlack(slack, 'chat.postMessage', { channel: 'C0HALLPASS', text: 'one' }, 'xoxb-wrong');
    const { body: posted } = await post({ text: 'two' });

    const response = await fetch(`${slack.url}/_calls`);
    const { calls } = (await response.json()) as { calls: Array<Record<string, unknown>> };

    expect(calls).toEqual([
      {
        method: 'chat.postMessage',
        body: { channel: 'C0HALLPASS', text: 'one' },
        at: expect.any(String),
        response: { ok: false, error: 'invalid_auth' },
      },
      {
        method: 'chat.postMessage',
        body: { channel: 'C0HALLPASS', text: 'two' },
        at: expect.any(String),
        response: posted,
      },
    ]);
    expect(Number.isNaN(Date.parse(calls[0]?.at as string))).toBe(false);
  });

  it('filters the calls by method', async () => {
    await post();
    await callSlack(slack, 'auth.test', {});

    const response = await fetch(`${slack.url}/_calls?method=auth.test`);

    expect(((await response.json()) as { calls: unknown[] }).calls).toHaveLength(1);
  });

  it('forgets them on DELETE /_calls', async () => {
    await post();

    const cleared = await fetch(`${slack.url}/_calls`, { method: 'DELETE' });

    expect(cleared.status).toBe(204);
    expect(slack.calls()).toEqual([]);
  });

  it('never records the bot token', async () => {
    await post();

    expect(JSON.stringify(slack.calls())).not.toContain(BOT_TOKEN);
  });
});

describe('the fault switch', () => {
  const failNext = (fault: object) =>
    fetch(`${slack.url}/_fail`, { method: 'POST', body: JSON.stringify(fault) });

  it('fails the next calls of a method with a Slack error, then answers again', async () => {
    expect(
      (await failNext({ method: 'chat.postMessage', times: 2, error: 'channel_not_found' })).status,
    ).toBe(204);

    const answers = [await post(), await post(), await post()].map((answer) => answer.body.ok ?? answer.body);

    expect(answers).toEqual([false, false, true]);
    expect(slack.calls().map((call) => call.response)).toMatchObject([
      { ok: false, error: 'channel_not_found' },
      { ok: false, error: 'channel_not_found' },
      { ok: true },
    ]);
  });

  it('fails only the method named', async () => {
    await failNext({ method: 'chat.update', error: 'cant_update_message' });

    const { body: posted } = await post();
    const { body: updated } = await callSlack(slack, 'chat.update', {
      channel: 'C0HALLPASS',
      ts: posted.ts,
      text: 'x',
    });

    expect(posted.ok).toBe(true);
    expect(updated).toEqual({ ok: false, error: 'cant_update_message' });
  });

  it('answers 429 with Retry-After: 1, as Slack rate-limits', async () => {
    await failNext({ method: 'chat.postMessage', status: 429 });

    const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({ channel: 'C0HALLPASS', text: 'x' }),
    });

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(slack.calls()[0]?.response).toEqual({ status: 429 });
  });

  it('answers an HTTP 500 when told to', async () => {
    slack.fail({ method: 'views.open', status: 500 });

    const { status } = await callSlack(slack, 'views.open', { trigger_id: '1.2.3', view: { type: 'modal' } });

    expect(status).toBe(500);
  });

  it('refuses a fault that names neither an error nor a status', async () => {
    expect((await failNext({ method: 'chat.postMessage', times: 1 })).status).toBe(400);
  });

  it('refuses a fault that names both an error and a status', async () => {
    expect((await failNext({ method: 'chat.postMessage', error: 'x', status: 500 })).status).toBe(400);
  });
});

describe('response_url', () => {
  it('stands in for the response_url of the payloads it is named in, recording and printing what comes', async () => {
    const response = await fetch(`${slack.url}/hooks/commands/T0LOCAL/123/abc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Linked.' }),
    });

    expect(response.status).toBe(200);
    expect(slack.calls()).toEqual([
      {
        method: 'response_url',
        body: { response_type: 'ephemeral', text: 'Linked.' },
        at: expect.any(String),
        response: { ok: true },
      },
    ]);
    expect(printed).toEqual(['response_url: Linked.']);
  });
});

describe('printing', () => {
  it('prints a message as one line with its channel', async () => {
    await post({ text: 'alice asks\nfor prod-admin' });

    expect(printed).toEqual(['#C0HALLPASS alice asks / for prod-admin']);
  });

  it('prints the text of blocks when there is no text', async () => {
    await callSlack(slack, 'chat.postMessage', {
      channel: 'C0HALLPASS',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*alice* asks' } },
        { type: 'actions', elements: [] },
      ],
    });

    expect(printed).toEqual(['#C0HALLPASS *alice* asks']);
  });

  it('marks an update', async () => {
    const { body } = await post();
    await callSlack(slack, 'chat.update', { channel: 'C0HALLPASS', ts: body.ts, text: 'approved' });

    expect(printed.at(-1)).toBe('#C0HALLPASS (updated) approved');
  });

  it('prints an ephemeral message with its user and a modal with its callback_id', async () => {
    await callSlack(slack, 'chat.postEphemeral', { channel: 'C0HALLPASS', user: 'U0BOB', text: 'Done.' });
    await callSlack(slack, 'views.open', {
      trigger_id: '1.2.abc',
      view: { type: 'modal', callback_id: 'hallpass.deny' },
    });

    expect(printed).toEqual(['ephemeral to U0BOB in #C0HALLPASS: Done.', 'modal hallpass.deny for 1.2.abc']);
  });

  it('prints nothing for a refused call', async () => {
    await callSlack(slack, 'chat.postMessage', { channel: 'C0HALLPASS', text: 'x' }, 'xoxb-wrong');

    expect(printed).toEqual([]);
  });
});
