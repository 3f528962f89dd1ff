/** POST /v1/slack/links/{id}/unlink: removes one of the caller's Slack links. */
import { authenticator, linkDeps } from '../lib/deps.ts';
import { httpRoute, json } from '../lib/http/route.ts';
import { slackLinksUnlinkRoute } from '../lib/http/routes.ts';
import { unlinkOwn } from '../lib/use-cases/slack-links.ts';

const deps = linkDeps();

export const handler = httpRoute(slackLinksUnlinkRoute, authenticator()).handler(async (event) =>
  json(200, { link: await unlinkOwn(deps, event.hallpass.principal, event.pathParameters?.id ?? '') }),
);
