/** POST /v1/slack/commands: Slack's slash command (`/hallpass link|unlink|whoami`), signed by Slack. */

import { slackNotConfigured } from '../lib/core/slack.ts';
import { slackDeps } from '../lib/deps.ts';
import { httpRoute } from '../lib/http/route.ts';
import { slackCommandsRoute } from '../lib/http/routes.ts';
import { slackAnswer, slackRequest } from '../lib/http/slack.ts';
import { handleSlashCommand } from '../lib/use-cases/slack-interactions.ts';

const deps = slackDeps();

export const handler = httpRoute(slackCommandsRoute).handler(async (event) => {
  if (!deps) throw slackNotConfigured();
  return slackAnswer(await handleSlashCommand(deps, slackRequest(event)));
});
