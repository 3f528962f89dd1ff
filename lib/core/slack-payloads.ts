/**
 * What Slack posts, as zod schemas: slash commands and the two interaction payloads hallpass reads
 * (lib/use-cases/slack-interactions.ts parses them). Apart from lib/core/slack.ts, which every
 * authenticated function bundles for its group refresh, so that those functions neither bundle nor
 * build these schemas.
 */
import * as z from '../zod.ts';

const slackId = z.string().check(z.regex(/^[A-Z0-9]{2,32}$/));

/** A slash command, as Slack posts it (form fields); only what hallpass reads. */
export const SlashCommand = z.object({
  team_id: slackId,
  user_id: slackId,
  channel_id: z.optional(z.string()),
  command: z.string().check(z.maxLength(64)),
  text: z._default(z.string().check(z.maxLength(2000)), ''),
});
export type SlashCommand = z.infer<typeof SlashCommand>;

// Enterprise Grid org-wide installs send `team: null`; the user's own workspace is `user.team_id`.
const team = z.nullable(z.object({ id: slackId }));
const user = z.object({ id: slackId, team_id: z.optional(slackId) });

/** A button press on a message (Slack's `block_actions` payload); only what hallpass reads. */
export const BlockActions = z.object({
  type: z.literal('block_actions'),
  team: team,
  user: user,
  trigger_id: z.optional(z.string().check(z.maxLength(200))),
  channel: z.optional(z.object({ id: z.string() })),
  container: z.optional(z.object({ channel_id: z.optional(z.string()), message_ts: z.optional(z.string()) })),
  actions: z
    .array(z.object({ action_id: z.string(), value: z.optional(z.string().check(z.maxLength(200))) }))
    .check(z.minLength(1)),
});
export type BlockActions = z.infer<typeof BlockActions>;

/** A modal submitted (Slack's `view_submission` payload); only what hallpass reads. */
export const ViewSubmission = z.object({
  type: z.literal('view_submission'),
  team: team,
  user: user,
  view: z.object({
    callback_id: z.string(),
    private_metadata: z._default(z.string(), ''),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.nullish(z.string()) }))),
    }),
  }),
});
export type ViewSubmission = z.infer<typeof ViewSubmission>;
