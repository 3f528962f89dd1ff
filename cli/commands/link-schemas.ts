/**
 * The answers of the Slack link routes (GET/POST /v1/slack/links, POST /v1/slack/links/{id}/unlink),
 * as the design of issue 13 gives them, checked before the CLI uses them.
 */
import * as z from '../../lib/zod.ts';

export const SlackLink = z.object({
  id: z.string(),
  teamId: z.string(),
  userId: z.string(),
  linkedAt: z.string(),
});

export const SlackLinkAnswer = z.object({ link: SlackLink });

export const SlackLinkList = z.object({
  links: z.array(SlackLink),
  groups: z.object({ refreshedAt: z.nullable(z.string()), maxAgeSeconds: z.number() }),
});
