import { afterAll } from 'vitest';
import { type LocalSlack, type LocalSlackOptions, startLocalSlack } from '../../local/slack/server.ts';

export const BOT_TOKEN = 'xoxb-test-local-slack-bot-token';

/** A local Slack for this test file only, closed after it. */
export async function useLocalSlack(options: Partial<LocalSlackOptions> = {}): Promise<LocalSlack> {
  const slack = await startLocalSlack({ port: 0, botToken: BOT_TOKEN, ...options });
  afterAll(() => slack.close());
  return slack;
}

/** Calls a Web API method as hallpass's adapter would: JSON, the bot token as a bearer (null: none). */
export async function callSlack(
  slack: LocalSlack,
  method: string,
  args: object,
  token: string | null = BOT_TOKEN,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(args),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
