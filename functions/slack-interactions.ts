/** POST /v1/slack/interactions: the Approve and Deny buttons and the Deny modal, signed by Slack. */

import type { Principal } from '../lib/core/principal.ts';
import { slackNotConfigured } from '../lib/core/slack.ts';
import { slackDeps } from '../lib/deps.ts';
import { httpRoute } from '../lib/http/route.ts';
import { slackInteractionsRoute } from '../lib/http/routes.ts';
import { slackAnswer, slackRequest } from '../lib/http/slack.ts';
import { approveRequest, denyRequest } from '../lib/use-cases/decide-request.ts';
import { type DecidedVia, handleInteraction } from '../lib/use-cases/slack-interactions.ts';

const base = slackDeps();
// A click decides exactly as POST /v1/requests/{id}/approve|deny: the same use case.
const deps = base && {
  ...base,
  decisions: {
    approve: (principal: Principal, id: string, via: DecidedVia) =>
      approveRequest(base, principal, id, null, via),
    deny: (principal: Principal, id: string, reason: string, via: DecidedVia) =>
      denyRequest(base, principal, id, reason, via),
  },
};

export const handler = httpRoute(slackInteractionsRoute).handler(async (event) => {
  if (!deps) throw slackNotConfigured();
  return slackAnswer(await handleInteraction(deps, slackRequest(event)));
});
