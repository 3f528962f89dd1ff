/**
 * Slack approvals through the deployed handlers, with real parts: dynalite (the file's own tables),
 * the local STS, the local SSM (the signing secret and bot token, read through the real SSM client),
 * the fake Slack Web API (every call recorded), and Slack-format payloads signed with the test
 * secret. Messages are driven by the same notifyRecords the notify function runs, fed the audit
 * table's new records in order, as the stream would.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  blockActionsBody,
  slackHeaders,
  slashCommandBody,
  viewSubmissionBody,
} from '../../local/slack/payloads.ts';
import { type SlackCall, startLocalSlack } from '../../local/slack/server.ts';
import { startLocalSsm } from '../../local/ssm/server.ts';
import { type Answer, invoke } from '../support/api.ts';
import { captureEmf } from '../support/emf.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { allItems, snapshot, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
const h: Record<string, Handler> = {};
const SECRET = 'test-signing-secret-0123456789abcdef';
const BOT = 'xoxb-test-bot-token';
const TEAM = 'T0TEST';
const SLACK_ENV = [
  'HALLPASS_SLACK_SIGNING_SECRET_PARAMETER',
  'HALLPASS_SLACK_BOT_TOKEN_PARAMETER',
  'HALLPASS_SLACK_API_URL',
  'HALLPASS_SLACK_DEFAULT_CHANNEL',
  'HALLPASS_SLACK_SECURITY_CHANNEL',
  'HALLPASS_PUBLIC_URL',
  'AWS_ENDPOINT_URL_SSM',
];
let slack: Awaited<ReturnType<typeof startLocalSlack>>;
let notify: (items: Array<Record<string, unknown>>) => Promise<{ failedAt: number | null }>;
const seen = new Set<string>();

beforeAll(async () => {
  await useLocalSts();
  await useIsolatedTables();
  slack = await startLocalSlack({ botToken: BOT });
  const ssm = await startLocalSsm({
    callers: [
      {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY as string,
        ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
      },
    ],
    parameters: { '/test/slack/signing-secret': SECRET, '/test/slack/bot-token': BOT },
  });
  afterAll(async () => {
    await slack.close();
    await ssm.close();
    // This worker's next test files must not inherit Slack.
    for (const name of SLACK_ENV) delete process.env[name];
  });
  Object.assign(process.env, {
    HALLPASS_SLACK_SIGNING_SECRET_PARAMETER: '/test/slack/signing-secret',
    HALLPASS_SLACK_BOT_TOKEN_PARAMETER: '/test/slack/bot-token',
    HALLPASS_SLACK_API_URL: slack.apiUrl,
    HALLPASS_SLACK_DEFAULT_CHANNEL: 'C0APPROVALS',
    HALLPASS_SLACK_SECURITY_CHANNEL: 'C0SECURITY',
    HALLPASS_PUBLIC_URL: 'https://hallpass.example.com/v1',
    AWS_ENDPOINT_URL_SSM: ssm.url,
  });
  for (const name of [
    'credentials',
    'entitlements',
    'requests-create',
    'requests-get',
    'requests-approve',
    'slack-commands',
    'slack-interactions',
    'slack-links-create',
    'slack-links-list',
    'slack-links-unlink',
  ]) {
    h[name] = (await import(`../../functions/${name}.ts`)).handler as Handler;
  }
  // Slack's own consumer of the stream (the slackNotify function), as on AWS.
  const { slackStreamDeps } = await import('../../lib/deps.ts');
  const { notifyRecords } = await import('../../lib/use-cases/notify.ts');
  const deps = slackStreamDeps();
  if (!deps) throw new Error('Slack is configured in this file');
  notify = (items) => notifyRecords(deps, items);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Feeds the audit table's records not fed yet to the notifier, oldest first, as the stream would. */
async function pump(): Promise<{ failedAt: number | null }> {
  const fresh = (await allItems('audit'))
    .filter((item) => !seen.has(String(item.pk)))
    .sort((a, b) => String(a.issuedAt).localeCompare(String(b.issuedAt)));
  const result = await notify(fresh);
  const delivered = result.failedAt === null ? fresh : fresh.slice(0, result.failedAt);
  for (const item of delivered) seen.add(String(item.pk));
  return result;
}

const as = (sub: string, groups: string[]) => tokenFor(sub, { groups, name: `${sub} name`, expiresIn: 3600 });
const APPROVERS = ['approvers'];
const REASON = 'Deploy the payments hotfix (CHG-1234)';

function callsOf(method: string): SlackCall[] {
  return slack.calls().filter((c) => c.method === method);
}

async function signed(
  route: 'slack-commands' | 'slack-interactions',
  rawBody: string,
  headers?: Record<string, string>,
) {
  return invoke(h[route] as Handler, {
    method: 'POST',
    path: route === 'slack-commands' ? '/v1/slack/commands' : '/v1/slack/interactions',
    rawBody,
    headers: headers ?? slackHeaders(SECRET, rawBody),
  });
}

/** `/hallpass link` as a Slack user, then the code entered by the principal: a complete link. */
async function link(userId: string, sub: string, groups: string[]): Promise<void> {
  const answer = await signed('slack-commands', slashCommandBody({ teamId: TEAM, userId, text: 'link' }));
  expect(answer.status).toBe(200);
  const code = /\*([0-9A-Z]{5}-[0-9A-Z]{5})\*/.exec(answer.body.text)?.[1];
  expect(code).toBeDefined();
  const linked = await invoke(h['slack-links-create'] as Handler, {
    path: '/v1/slack/links',
    token: await as(sub, groups),
    body: { code },
  });
  expect(linked.status).toBe(201);
}

async function newRequest(requester: string, entitlementId = 'prod-admin'): Promise<string> {
  const answer = await invoke(h['requests-create'] as Handler, {
    path: '/v1/requests',
    token: await as(requester, ['engineers']),
    body: { entitlementId, justification: REASON, ticket: 'CHG-1234' },
  });
  expect(answer.status).toBe(201);
  await pump();
  return answer.body.id;
}

async function readRequest(id: string): Promise<Answer> {
  return invoke(h['requests-get'] as Handler, {
    path: `/v1/requests/${id}`,
    token: await as('auditor-ann', ['auditors']),
    pathParameters: { id },
  });
}

function messageOf(requestId: string): SlackCall {
  const posted = callsOf('chat.postMessage').find((c) =>
    JSON.stringify(c.body.blocks ?? '').includes(requestId),
  );
  if (!posted) throw new Error(`no message for ${requestId}`);
  return posted;
}

/** The Deny form submitted by `userId` with `reason` (`privateMetadata`: what the form was opened with). */
function denyForm(userId: string, privateMetadata: string, reason: string): string {
  return viewSubmissionBody({
    teamId: TEAM,
    userId,
    callbackId: 'hallpass.deny',
    privateMetadata,
    values: { reason: { reason } },
  });
}

function click(userId: string, requestId: string, action: 'hallpass.approve' | 'hallpass.deny'): string {
  const message = messageOf(requestId);
  const ts = (message.response as { ts?: string }).ts as string;
  return blockActionsBody({
    teamId: TEAM,
    userId,
    actionId: action,
    value: requestId,
    channelId: String(message.body.channel),
    messageTs: ts,
  });
}

function ephemeralTo(userId: string): string[] {
  return callsOf('chat.postEphemeral')
    .filter((c) => c.body.user === userId)
    .map((c) => String(c.body.text));
}

describe('linking a Slack user to a principal', () => {
  it('links with the one-time code, shows the link, and refuses the code a second time', async () => {
    const command = await signed(
      'slack-commands',
      slashCommandBody({ teamId: TEAM, userId: 'U0LINK', text: 'link' }),
    );
    expect(command.status).toBe(200);
    expect(command.body.response_type).toBe('ephemeral');
    const code = /\*([0-9A-Z]{5}-[0-9A-Z]{5})\*/.exec(command.body.text)?.[1] as string;
    // Typed sloppily: lower case, no dash.
    const typed = code.toLowerCase().replace('-', '');
    const token = await as('lena', APPROVERS);
    const linked = await invoke(h['slack-links-create'] as Handler, {
      path: '/v1/slack/links',
      token,
      body: { code: typed },
    });
    expect(linked.status).toBe(201);
    expect(linked.body.link).toMatchObject({ id: `${TEAM}-U0LINK`, teamId: TEAM, userId: 'U0LINK' });

    const again = await invoke(h['slack-links-create'] as Handler, {
      path: '/v1/slack/links',
      token,
      body: { code },
    });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('link_code_not_found');

    const list = await invoke(h['slack-links-list'] as Handler, { path: '/v1/slack/links', token });
    expect(list.status).toBe(200);
    expect(list.body.links.map((l: { id: string }) => l.id)).toEqual([`${TEAM}-U0LINK`]);
    expect(list.body.groups.maxAgeSeconds).toBe(86400);
    expect(Date.parse(list.body.groups.refreshedAt)).toBeGreaterThan(Date.now() - 60_000);

    const whoami = await signed(
      'slack-commands',
      slashCommandBody({ teamId: TEAM, userId: 'U0LINK', text: 'whoami' }),
    );
    expect(whoami.body.text).toContain('lena');

    // The link is in the audit trail; the code is nowhere in any table.
    const audit = await allItems('audit');
    expect(audit.some((i) => i.event === 'slack.linked' && i.principalSub === 'lena')).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(code.replace('-', ''));
  });

  it("refuses a code for a Slack user who is someone else's, and leaves the code usable", async () => {
    await link('U0TAKEN', 'owner-olga', APPROVERS);
    const command = await signed(
      'slack-commands',
      slashCommandBody({ teamId: TEAM, userId: 'U0TAKEN', text: 'link' }),
    );
    const code = /\*([0-9A-Z]{5}-[0-9A-Z]{5})\*/.exec(command.body.text)?.[1] as string;
    const other = await invoke(h['slack-links-create'] as Handler, {
      path: '/v1/slack/links',
      token: await as('mallory', APPROVERS),
      body: { code },
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('slack_user_linked');
    // The owner may still use the code: the refusal changed nothing.
    const own = await invoke(h['slack-links-create'] as Handler, {
      path: '/v1/slack/links',
      token: await as('owner-olga', APPROVERS),
      body: { code },
    });
    expect(own.status).toBe(201);
  });

  it("lets an auditor remove anyone's link, and nobody else", async () => {
    await link('U0ANY', 'any-andy', APPROVERS);
    const path = `/v1/slack/links/${TEAM}-U0ANY/unlink`;
    const pathParameters = { id: `${TEAM}-U0ANY` };
    const stranger = await invoke(h['slack-links-unlink'] as Handler, {
      method: 'POST',
      path,
      token: await as('stranger', APPROVERS),
      pathParameters,
    });
    expect(stranger.status).toBe(404);
    const auditor = await invoke(h['slack-links-unlink'] as Handler, {
      method: 'POST',
      path,
      token: await as('auditor-ann', ['auditors']),
      pathParameters,
    });
    expect(auditor.status).toBe(200);
    const list = await invoke(h['slack-links-list'] as Handler, {
      path: '/v1/slack/links',
      token: await as('any-andy', APPROVERS),
    });
    expect(list.body.links).toEqual([]);
    const event = (await allItems('audit')).find(
      (i) => i.event === 'slack.unlinked' && i.principalSub === 'any-andy',
    );
    expect(event?.actor).toMatchObject({ sub: 'auditor-ann' });
  });

  it('removes a link from hallpass and from Slack; a removed link decides nothing', async () => {
    await link('U0GONE', 'gone-gary', APPROVERS);
    const token = await as('gone-gary', APPROVERS);
    const removed = await invoke(h['slack-links-unlink'] as Handler, {
      method: 'POST',
      path: `/v1/slack/links/${TEAM}-U0GONE/unlink`,
      token,
      pathParameters: { id: `${TEAM}-U0GONE` },
    });
    expect(removed.status).toBe(200);
    const twice = await invoke(h['slack-links-unlink'] as Handler, {
      method: 'POST',
      path: `/v1/slack/links/${TEAM}-U0GONE/unlink`,
      token,
      pathParameters: { id: `${TEAM}-U0GONE` },
    });
    expect(twice.status).toBe(404);
    expect(twice.body.error.code).toBe('link_not_found');

    const id = await newRequest('requester-rita');
    await signed('slack-interactions', click('U0GONE', id, 'hallpass.approve'));
    expect((await readRequest(id)).body.status).toBe('pending');
    expect(ephemeralTo('U0GONE').at(-1)).toContain('not linked');

    await link('U0SELF', 'self-sam', APPROVERS);
    const fromSlack = await signed(
      'slack-commands',
      slashCommandBody({ teamId: TEAM, userId: 'U0SELF', text: 'unlink' }),
    );
    expect(fromSlack.body.text).toContain('no longer linked');
    const list = await invoke(h['slack-links-list'] as Handler, {
      path: '/v1/slack/links',
      token: await as('self-sam', APPROVERS),
    });
    expect(list.body.links).toEqual([]);
  });
});

describe('approving and denying from Slack', () => {
  it('posts a new request with who, what, how long, why, the ticket and the buttons; Approve decides it', async () => {
    await link('U0BOB', 'bob', APPROVERS);
    await link('U0ALICE', 'alice', ['engineers', 'approvers']);
    const id = await newRequest('alice');
    const message = messageOf(id);
    expect(message.body.channel).toBe('C0APPROVALS');
    const shown = JSON.stringify(message.body.blocks);
    for (const part of [
      'alice name',
      'prod-admin',
      '15 min',
      REASON,
      'CHG-1234',
      'hallpass.approve',
      'hallpass.deny',
    ]) {
      expect(shown).toContain(part);
    }

    const answer = await signed('slack-interactions', click('U0BOB', id, 'hallpass.approve'));
    expect(answer.status).toBe(200);
    const after = await readRequest(id);
    expect(after.body.status).toBe('approved');
    expect(after.body.approvals.map((a: { approver: { sub: string } }) => a.approver.sub)).toEqual(['bob']);
    expect(ephemeralTo('U0BOB').at(-1)).toContain('it is approved');

    // The decision is an event like the API's, saying it came from Slack.
    const event = (await allItems('audit')).find((i) => i.event === 'request.approved' && i.requestId === id);
    expect(event?.details).toMatchObject({ via: 'slack', slackUser: `${TEAM}/U0BOB`, quorumReached: true });

    // From the stream: the message updated for everyone (no buttons left), the requester told directly.
    await pump();
    const update = callsOf('chat.update')
      .filter((c) => c.body.ts === (message.response as unknown as { ts: string }).ts)
      .at(-1);
    expect(JSON.stringify(update?.body.blocks)).toContain('Approved by bob name');
    expect(JSON.stringify(update?.body.blocks)).not.toContain('hallpass.approve');
    const dm = callsOf('chat.postMessage').filter((c) => c.body.channel === 'U0ALICE');
    expect(dm).toHaveLength(1);
    expect(String(dm[0]?.body.text)).toContain('approved by bob name');

    // The stream redelivers: nothing is posted twice.
    const before = slack.calls().length;
    await notify(
      (await allItems('audit')).sort((a, b) => String(a.issuedAt).localeCompare(String(b.issuedAt))),
    );
    expect(callsOf('chat.postMessage').filter((c) => c.body.channel === 'U0ALICE')).toHaveLength(1);
    expect(
      slack
        .calls()
        .slice(before)
        .every((c) => c.method !== 'chat.postMessage'),
    ).toBe(true);
  });

  it('Deny opens a modal for the reason; submitting it denies with that reason', async () => {
    await link('U0DAN', 'dan', APPROVERS);
    const id = await newRequest('requester-rob');
    const pressed = await signed('slack-interactions', click('U0DAN', id, 'hallpass.deny'));
    expect(pressed.status).toBe(200);
    const modal = callsOf('views.open').at(-1);
    expect(modal?.body.trigger_id).toBeTruthy();
    const view = modal?.body.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('hallpass.deny');
    expect((await readRequest(id)).body.status).toBe('pending');

    const empty = await signed('slack-interactions', denyForm('U0DAN', view.private_metadata, '  '));
    expect(empty.body.response_action).toBe('errors');
    expect((await readRequest(id)).body.status).toBe('pending');

    const submitted = await signed(
      'slack-interactions',
      denyForm('U0DAN', view.private_metadata, 'Not during the freeze'),
    );
    expect(submitted.status).toBe(200);
    expect(submitted.raw).toBe('');
    const denied = await readRequest(id);
    expect(denied.body.status).toBe('denied');
    expect(denied.body.denial).toMatchObject({ by: { sub: 'dan' }, reason: 'Not during the freeze' });
    await pump();
    const update = callsOf('chat.update').at(-1);
    expect(JSON.stringify(update?.body.blocks)).toContain('Not during the freeze');
  });

  it('needs two linked approvers for a quorum of two, and never counts one twice', async () => {
    await link('U0QUINN', 'quinn', ['approvers']);
    await link('U0SEC', 'sec-sue', ['security']);
    const id = await newRequest('requester-ray', 'quorum-two');
    await signed('slack-interactions', click('U0QUINN', id, 'hallpass.approve'));
    // The same approver again (a new click, a new signature): one approval still.
    await signed('slack-interactions', click('U0QUINN', id, 'hallpass.approve'));
    expect(ephemeralTo('U0QUINN').at(-1)).toContain('already approved');
    let state = await readRequest(id);
    expect(state.body.status).toBe('pending');
    expect(state.body.approvals).toHaveLength(1);
    await pump();
    expect(JSON.stringify(callsOf('chat.update').at(-1)?.body.blocks)).toContain('(1 of 2)');

    await signed('slack-interactions', click('U0SEC', id, 'hallpass.approve'));
    state = await readRequest(id);
    expect(state.body.status).toBe('approved');
    expect(state.body.approvals.map((a: { approver: { sub: string } }) => a.approver.sub)).toEqual([
      'quinn',
      'sec-sue',
    ]);
  });

  it('counts every approval of concurrent clicks, and one decision per approver', async () => {
    await link('U0CON1', 'con-one', ['approvers']);
    await link('U0CON2', 'con-two', ['security']);
    const id = await newRequest('requester-cora', 'quorum-two');
    const bodies = [
      click('U0CON1', id, 'hallpass.approve'),
      click('U0CON2', id, 'hallpass.approve'),
      click('U0CON1', id, 'hallpass.approve'),
    ];
    const answers = await Promise.all(bodies.map((body) => signed('slack-interactions', body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const state = await readRequest(id);
    expect(state.body.status).toBe('approved');
    expect(state.body.approvals.map((a: { approver: { sub: string } }) => a.approver.sub).sort()).toEqual([
      'con-one',
      'con-two',
    ]);
  });

  it('refuses self-approval from Slack as the API does', async () => {
    await link('U0SELFIE', 'selfie', ['engineers', 'approvers']);
    const id = await newRequest('selfie');
    const before = await snapshot();
    await signed('slack-interactions', click('U0SELFIE', id, 'hallpass.approve'));
    expect(ephemeralTo('U0SELFIE').at(-1)).toContain('your own request');
    expect(await snapshot()).toBe(before);
  });

  it('tells an unlinked Slack user how to link, and changes nothing', async () => {
    const id = await newRequest('requester-una');
    const before = await snapshot();
    await signed('slack-interactions', click('U0NOBODY', id, 'hallpass.approve'));
    expect(ephemeralTo('U0NOBODY').at(-1)).toContain('/hallpass link');
    expect(await snapshot()).toBe(before);
  });

  it('uses groups only while fresh: stale groups are refused until the person calls hallpass again', async () => {
    await link('U0STALE', 'stale-stan', APPROVERS);
    const id = await newRequest('requester-sid');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 25 * 3600_000);
    await signed('slack-interactions', click('U0STALE', id, 'hallpass.approve'));
    expect(ephemeralTo('U0STALE').at(-1)).toContain('Open hallpass once');
    expect((await readRequest(id)).body.approvals).toHaveLength(0);

    // Any call to hallpass refreshes the groups: the next click counts.
    const seenNow = await invoke(h.entitlements as Handler, {
      path: '/v1/entitlements',
      token: await as('stale-stan', APPROVERS),
    });
    expect(seenNow.status).toBe(200);
    const id2 = await newRequest('requester-sid');
    await signed('slack-interactions', click('U0STALE', id2, 'hallpass.approve'));
    expect((await readRequest(id2)).body.status).toBe('approved');
  });

  it('follows the groups of the latest token: someone removed from the approvers group decides nothing', async () => {
    await link('U0LEFT', 'left-lou', APPROVERS);
    // Lou's next token no longer has the group: that call records it.
    await invoke(h.entitlements as Handler, {
      path: '/v1/entitlements',
      token: await as('left-lou', ['engineers']),
    });
    const id = await newRequest('requester-liz');
    await signed('slack-interactions', click('U0LEFT', id, 'hallpass.approve'));
    expect((await readRequest(id)).body.status).toBe('pending');
    expect(ephemeralTo('U0LEFT').at(-1)).toMatch(/not exist, or you may not see it|groups/);
  });
});

describe("Slack's signature", () => {
  it('refuses a missing, wrong or old signature (401) and changes nothing', async () => {
    await link('U0SIG', 'sig-sally', APPROVERS);
    const id = await newRequest('requester-sam');
    const body = click('U0SIG', id, 'hallpass.approve');
    const before = await snapshot();
    const calls = slack.calls().length;
    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    for (const headers of [
      { 'content-type': 'application/x-www-form-urlencoded' },
      slackHeaders('not-the-secret', body),
      slackHeaders(SECRET, body, old),
      { ...slackHeaders(SECRET, body), 'x-slack-signature': `v0=${'0'.repeat(64)}` },
    ]) {
      const answer = await signed('slack-interactions', body, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('unauthenticated');
    }
    // A body changed after signing.
    const signedHeaders = slackHeaders(SECRET, body);
    const tampered = await signed('slack-interactions', body.replace('U0SIG', 'U0BOB'), signedHeaders);
    expect(tampered.status).toBe(401);
    expect(await snapshot()).toBe(before);
    expect(slack.calls().length).toBe(calls);
  });

  it('processes a replayed request once', async () => {
    await link('U0REPLAY', 'replay-ron', ['security']);
    await link('U0REPLAY2', 'replay-rae', ['approvers']);
    const id = await newRequest('requester-rhea', 'quorum-two');
    const body = click('U0REPLAY', id, 'hallpass.approve');
    const headers = slackHeaders(SECRET, body);
    const first = await signed('slack-interactions', body, headers);
    expect(first.status).toBe(200);
    const replies = ephemeralTo('U0REPLAY').length;
    const replayed = await signed('slack-interactions', body, headers);
    expect(replayed.status).toBe(200);
    expect(ephemeralTo('U0REPLAY').length).toBe(replies);
    expect((await readRequest(id)).body.approvals).toHaveLength(1);
  });
});

describe('Slack down or slow', () => {
  it('never blocks the API; a failed post is retried and posted once', async () => {
    slack.fail({ method: 'chat.postMessage', times: 1, status: 500 });
    const answer = await invoke(h['requests-create'] as Handler, {
      path: '/v1/requests',
      token: await as('requester-dora', ['engineers']),
      body: { entitlementId: 'prod-admin', justification: REASON },
    });
    expect(answer.status).toBe(201);
    const id = answer.body.id as string;
    const failed = await pump();
    expect(failed.failedAt).not.toBeNull();
    const retried = await pump();
    expect(retried.failedAt).toBeNull();
    const posts = callsOf('chat.postMessage').filter((c) => JSON.stringify(c.body.blocks ?? '').includes(id));
    expect(posts.filter((c) => !('status' in c.response))).toHaveLength(1);
  });
});

describe('break glass', () => {
  it('posts a break-glass session to the security channel with a Review link', async () => {
    const vend = await invoke(h.credentials as Handler, {
      path: '/v1/credentials',
      token: await as('olga', ['oncall']),
      body: { entitlementId: 'prod-admin', breakGlass: { justification: 'Payments down, INC-42' } },
    });
    expect(vend.status).toBe(200);
    await pump();
    const post = callsOf('chat.postMessage').find((c) => c.body.channel === 'C0SECURITY');
    expect(String(post?.body.text)).toContain('Break glass');
    expect(JSON.stringify(post?.body.blocks)).toContain(
      `https://hallpass.example.com/#/audit/sessions/${vend.body.session.id}`,
    );
    // Nothing secret reaches Slack.
    const everything = JSON.stringify(slack.calls());
    expect(everything).not.toContain(vend.body.credentials.SecretAccessKey);
    expect(everything).not.toContain(vend.body.credentials.SessionToken);
  });
});

describe('metrics and logs', () => {
  it('counts SlackInteractions by outcome, and logs neither the secrets nor a link code', async () => {
    await link('U0METRIC', 'metric-mo', APPROVERS);
    const id = await newRequest('requester-mia');
    const emf = captureEmf();
    await signed('slack-interactions', click('U0METRIC', id, 'hallpass.approve'));
    const body = click('U0METRIC', id, 'hallpass.approve');
    await signed('slack-interactions', body, slackHeaders('wrong-secret', body));
    const command = await signed(
      'slack-commands',
      slashCommandBody({ teamId: TEAM, userId: 'U0METRIC', text: 'link' }),
    );
    const outcomes = emf
      .values('SlackInteractions')
      .map((v) => [v.dimensions.Outcome, v.value, v.unit, v.dimensionSet.join(',')]);
    expect(outcomes).toEqual([
      ['approved', 1, 'Count', 'service,Outcome'],
      ['bad-signature', 1, 'Count', 'service,Outcome'],
      ['command', 1, 'Count', 'service,Outcome'],
    ]);
    const code = /\*([0-9A-Z]{5}-[0-9A-Z]{5})\*/.exec(command.body.text)?.[1] as string;
    const everything = emf.lines.join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(BOT);
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(code.replace('-', ''));
  });
});

describe('what Slack sends, as Slack sends it', () => {
  it('reads a body API Gateway hands over base64-encoded, and checks the signature on its bytes', async () => {
    await link('U0B64', 'b64-bea', APPROVERS);
    const id = await newRequest('requester-bo');
    const body = click('U0B64', id, 'hallpass.approve');
    const answer = await invoke(h['slack-interactions'] as Handler, {
      method: 'POST',
      path: '/v1/slack/interactions',
      rawBody: Buffer.from(body).toString('base64'),
      headers: slackHeaders(SECRET, body),
      isBase64Encoded: true,
    });
    expect(answer.status).toBe(200);
    expect((await readRequest(id)).body.status).toBe('approved');
  });

  it('acts for an Enterprise Grid user (team null, the user carries their workspace)', async () => {
    await link('U0GRID', 'grid-gil', APPROVERS);
    const id = await newRequest('requester-gia');
    const payload = JSON.parse(
      new URLSearchParams(click('U0GRID', id, 'hallpass.approve')).get('payload') as string,
    );
    payload.team = null;
    payload.user.team_id = TEAM;
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    await signed('slack-interactions', body);
    expect((await readRequest(id)).body.status).toBe('approved');
  });

  it('refuses a deny reason the API would refuse, and changes nothing', async () => {
    await link('U0BIDI', 'bidi-bea', APPROVERS);
    const id = await newRequest('requester-bex');
    const answer = await signed(
      'slack-interactions',
      denyForm('U0BIDI', JSON.stringify({ requestId: id }), 'looks fine \u202e sdrawkcab'),
    );
    expect(answer.body.response_action).toBe('errors');
    expect((await readRequest(id)).body.status).toBe('pending');
  });

  it('tells the clicker when the Deny form cannot be opened, instead of failing', async () => {
    await link('U0MODAL', 'modal-max', APPROVERS);
    const id = await newRequest('requester-mae');
    slack.fail({ method: 'views.open', times: 1, error: 'expired_trigger_id' });
    const answer = await signed('slack-interactions', click('U0MODAL', id, 'hallpass.deny'));
    expect(answer.status).toBe(200);
    expect(ephemeralTo('U0MODAL').at(-1)).toContain('could not open the Deny form');
    expect((await readRequest(id)).body.status).toBe('pending');
  });

  it("measures the groups' age from the token's issue time, not from when it was last presented", async () => {
    const token = await tokenFor('aged-ada', { groups: APPROVERS, name: 'aged-ada name', expiresIn: 86400 });
    const command = await signed(
      'slack-commands',
      slashCommandBody({ teamId: TEAM, userId: 'U0AGED', text: 'link' }),
    );
    const code = /\*([0-9A-Z]{5}-[0-9A-Z]{5})\*/.exec(command.body.text)?.[1] as string;
    expect(
      (await invoke(h['slack-links-create'] as Handler, { path: '/v1/slack/links', token, body: { code } }))
        .status,
    ).toBe(201);
    vi.useFakeTimers({ toFake: ['Date'] });
    // The same token, 20 h later: still valid, but its groups are 20 h old, not fresh.
    vi.setSystemTime(Date.now() + 20 * 3600_000);
    await invoke(h.entitlements as Handler, { path: '/v1/entitlements', token });
    vi.setSystemTime(Date.now() + 5 * 3600_000);
    const id = await newRequest('requester-amy');
    await signed('slack-interactions', click('U0AGED', id, 'hallpass.approve'));
    expect(ephemeralTo('U0AGED').at(-1)).toContain('Open hallpass once');
    expect((await readRequest(id)).body.status).toBe('pending');
  });
});
