import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, describe, expect, it } from 'vitest';
import { tableDefinitions } from '../../local/dynamodb.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';
import { callSlack, useLocalSlack } from './helpers.ts';

const STAGE = 'slackstack';
const SIGNING_SECRET = 'fedcba9876543210fedcba9876543210';
const BOT_TOKEN = 'xoxb-stack-test-bot-token';

async function useStack(options: Partial<LocalStackOptions>): Promise<LocalStack> {
  const stack = await startLocalStack({ stage: STAGE, ...options });
  afterAll(() => stack.stop());
  return stack;
}

/** Reads a parameter as the functions would: the stack's SSM endpoint and credentials. */
async function readParameter(stack: LocalStack, name: string): Promise<string | undefined> {
  const client = new SSMClient({
    region: stack.region,
    endpoint: stack.env.AWS_ENDPOINT_URL_SSM,
    credentials: {
      accessKeyId: stack.credentialsEnv.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: stack.credentialsEnv.AWS_SECRET_ACCESS_KEY ?? '',
      sessionToken: stack.credentialsEnv.AWS_SESSION_TOKEN,
    },
    maxAttempts: 1,
  });
  try {
    return (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter
      ?.Value;
  } finally {
    client.destroy();
  }
}

describe('a stack with Slack', async () => {
  const stack = await useStack({ slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN } });

  it('points the functions at the Slack fake, the SSM parameters and the local channels', () => {
    expect(stack.env).toMatchObject({
      HALLPASS_SLACK_API_URL: `${stack.urls.slack}/api/`,
      AWS_ENDPOINT_URL_SSM: stack.urls.ssm,
      HALLPASS_SLACK_SIGNING_SECRET_PARAMETER: '/hallpass/local/slack-signing-secret',
      HALLPASS_SLACK_BOT_TOKEN_PARAMETER: '/hallpass/local/slack-bot-token',
      HALLPASS_SLACK_DEFAULT_CHANNEL: 'C0HALLPASS',
      HALLPASS_SLACK_SECURITY_CHANNEL: 'C0SECURITY',
    });
  });

  it("names serverless.yml's Slack table in HALLPASS_SLACK_TABLE, when there is one", () => {
    const slackTable = tableDefinitions(STAGE).SlackTable?.TableName;

    expect(stack.env.HALLPASS_SLACK_TABLE).toBe(slackTable);
    expect(stack.tables.slack).toBe(slackTable);
  });

  it('serves the signing secret and bot token from SSM to the functions', async () => {
    expect(await readParameter(stack, '/hallpass/local/slack-signing-secret')).toBe(SIGNING_SECRET);
    expect(await readParameter(stack, '/hallpass/local/slack-bot-token')).toBe(BOT_TOKEN);
  });

  it('hands the tests the secrets and the fake', () => {
    expect(stack.slack).toEqual({
      url: stack.urls.slack,
      apiUrl: `${stack.urls.slack}/api/`,
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
    });
  });

  it("has the fake take the stack's bot token", async () => {
    const slack = stack.local.slack;
    if (!slack) throw new Error('the stack started no Slack fake');

    expect((await callSlack(slack, 'auth.test', {}, BOT_TOKEN)).body.ok).toBe(true);
  });
});

describe('a stack with Slack and no secrets given', async () => {
  const stack = await useStack({ slack: {}, kms: false, iam: false, federation: false });

  it('makes a Slack-shaped signing secret and bot token of its own', async () => {
    expect(stack.slack?.signingSecret).toMatch(/^[0-9a-f]{32}$/);
    expect(stack.slack?.botToken).toMatch(/^xoxb-/);
    expect(await readParameter(stack, '/hallpass/local/slack-bot-token')).toBe(stack.slack?.botToken);
  });
});

describe('a stack with a Slack fake given by URL', async () => {
  const outside = await useLocalSlack({ botToken: BOT_TOKEN });
  const stack = await useStack({
    slack: { url: outside.url, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN },
    kms: false,
    iam: false,
    federation: false,
  });

  it('starts no fake of its own, and points the functions at that one', () => {
    expect(stack.local.slack).toBeUndefined();
    expect(stack.env.HALLPASS_SLACK_API_URL).toBe(outside.apiUrl);
  });

  it("still serves that app's secrets from its own SSM", async () => {
    expect(await readParameter(stack, '/hallpass/local/slack-signing-secret')).toBe(SIGNING_SECRET);
  });
});

describe('a stack without Slack (the default)', async () => {
  const stack = await useStack({ sts: false });

  it('has no Slack settings, no Slack fake and no SSM', () => {
    expect(Object.keys(stack.env).filter((name) => name.includes('SLACK') || name.includes('SSM'))).toEqual(
      [],
    );
    expect(stack.slack).toBeUndefined();
    expect(stack.urls).not.toHaveProperty('ssm');
  });
});
