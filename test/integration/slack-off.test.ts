/** Without Slack settings, the Slack routes exist but answer 404 slack_not_configured and change nothing. */
import { beforeAll, describe, expect, it } from 'vitest';
import { slackHeaders, slashCommandBody } from '../../local/slack/payloads.ts';
import { invoke } from '../support/api.ts';
import { snapshot, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
const h: Record<string, Handler> = {};

beforeAll(async () => {
  await useIsolatedTables();
  for (const name of ['slack-commands', 'slack-interactions', 'slack-links-list', 'slack-links-create']) {
    h[name] = (await import(`../../functions/${name}.ts`)).handler as Handler;
  }
});

describe('Slack off', () => {
  it('answers 404 slack_not_configured on every Slack route, and changes nothing', async () => {
    expect(process.env.HALLPASS_SLACK_SIGNING_SECRET_PARAMETER).toBeUndefined();
    const before = await snapshot();
    const body = slashCommandBody({ teamId: 'T0OFF', userId: 'U0OFF', text: 'link' });
    for (const [name, path] of [
      ['slack-commands', '/v1/slack/commands'],
      ['slack-interactions', '/v1/slack/interactions'],
    ] as const) {
      const answer = await invoke(h[name] as Handler, {
        method: 'POST',
        path,
        rawBody: body,
        headers: slackHeaders('any-secret', body),
      });
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('slack_not_configured');
    }
    const token = await tokenFor('alice', { groups: ['engineers'] });
    const list = await invoke(h['slack-links-list'] as Handler, { path: '/v1/slack/links', token });
    expect(list.status).toBe(404);
    expect(list.body.error.code).toBe('slack_not_configured');
    const link = await invoke(h['slack-links-create'] as Handler, {
      path: '/v1/slack/links',
      token,
      body: { code: 'ABCDE-FGHJK' },
    });
    expect(link.body.error.code).toBe('slack_not_configured');
    expect(await snapshot()).toBe(before);
  });
});
