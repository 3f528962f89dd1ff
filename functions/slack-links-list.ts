/** GET /v1/slack/links: the caller's Slack links, and how old the groups Slack decisions use are. */
import { authenticator, linkDeps } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { slackLinksListRoute } from '../lib/http/routes.ts';
import { listLinks } from '../lib/use-cases/slack-links.ts';

const deps = linkDeps();

export const handler = httpRoute(slackLinksListRoute, authenticator()).handler(async (event) =>
  json(200, await listLinks(deps, event.hallpass.principal)),
);
