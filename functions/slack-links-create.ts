/** POST /v1/slack/links {code}: links the Slack user who asked for the code to the caller. */
import { authenticator, linkDeps } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { slackLinksCreateRoute } from '../lib/http/routes.ts';
import { linkSlackUser } from '../lib/use-cases/slack-links.ts';

const deps = linkDeps();

export const handler = httpRoute(slackLinksCreateRoute, authenticator()).handler(async (event) =>
  json(201, { link: await linkSlackUser(deps, event.hallpass.principal, event.hallpass.body.code) }),
);
