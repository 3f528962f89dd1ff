/**
 * `link` and `unlink`: tie your Slack user to you, so that your Approve/Deny clicks in Slack count
 * as yours (POST /v1/slack/links with the one-time code `/hallpass link` gave you in Slack, GET
 * /v1/slack/links to list, POST /v1/slack/links/{id}/unlink to remove). A Slack click carries no
 * token, so Slack decisions use the groups your last call to hallpass gave it, up to an age the
 * listing shows.
 */
import { normaliseLinkCode } from '../../lib/core/slack.ts';
import { SlackLinkBody, SlackLinkList, SlackLinkResponse, UnlinkBody } from '../../lib/schemas.ts';
import { type Api, checkBody } from '../api.ts';
import { noPositionals, onePositional, parseCommand } from '../args.ts';
import { apiContext, type Command, type Io, usage } from '../context.ts';
import { ApiError, UsageError } from '../errors.ts';
import { details, formatDuration, json, relative, shortTime, table } from '../output.ts';

const LINK_USAGE = `usage: hallpass link <code> [--profile <name>] [--json]
       hallpass link --list [--profile <name>] [--json]
Links your Slack user to you, so that you can approve and deny requests from Slack: type
\`/hallpass link\` in Slack, which answers (to you alone) with a code such as ABCDE-12345, valid once
for 10 minutes; give it here (any case, with or without the dash). --list shows your links and when
hallpass last saw your groups: Slack decisions use those groups for a limited time (the max age).
Remove a link with \`hallpass unlink <link id>\`.`;

const UNLINK_USAGE = `usage: hallpass unlink <link id> [--profile <name>] [--json]
Removes one of your Slack links, named by its id (<team id>-<user id>) as the list of
\`hallpass link\` shows it: that Slack user's clicks no longer act as you.`;

/** What to do next, per error code of the Slack link routes. */
const HINTS: Record<string, string> = {
  link_code_not_found:
    'a code works once, for 10 minutes: type `/hallpass link` in Slack for a new one (check the code for typos)',
  slack_user_linked:
    'that Slack user is linked to someone else: they must type `/hallpass unlink` in Slack first',
  too_many_links: 'remove one first: `hallpass link --list`, then `hallpass unlink <link id>`',
  slack_not_configured: 'this hallpass has no Slack app set up: ask its operators to configure Slack',
  link_not_found: 'see your links and their ids with `hallpass link --list`',
};

/** An API refusal with the Slack routes' hint added (the API's message, code and request id kept). */
async function withHints<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const hint = error instanceof ApiError ? HINTS[error.code] : undefined;
    if (!hint || !(error instanceof ApiError)) throw error;
    throw new ApiError(error.status, error.code, error.message, error.requestId, error.details, hint);
  }
}

/**
 * A link code as typed -> its shown form (`ABCDE-12345`): case, dashes and spaces do not matter, and
 * I, L and O read as 1, 1 and 0 as in Crockford's base32. Anything that cannot be a code is a usage
 * error here, before the API is asked; whether it is a live code is the API's to say.
 */
export function normaliseCode(text: string): string {
  // The API's own reading of a code (lib/core/slack.ts), so the two can never disagree.
  const chars = normaliseLinkCode(text);
  if (!chars)
    throw new UsageError(
      `a link code is 10 letters and digits, such as ABCDE-12345 (from \`/hallpass link\` in Slack), got '${text}'\n${LINK_USAGE}`,
    );
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** 86400 -> `24h` (a max age reads in hours), 5400 -> `1h30m`. */
const age = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600}h` : formatDuration(seconds));

async function list(api: Api, io: Io, asJson: boolean, now: number): Promise<number> {
  const answer = await withHints(api.call('GET', '/slack/links', SlackLinkList));
  if (asJson) {
    io.output.out(json(answer));
    return 0;
  }
  const o = io.output;
  if (answer.links.length === 0)
    o.out('No Slack links. Type `/hallpass link` in Slack, then run `hallpass link <code>`.');
  else
    o.out(
      table(
        ['LINK ID', 'TEAM', 'SLACK USER', 'LINKED'],
        answer.links.map((l) => [
          l.id,
          l.teamId,
          l.userId,
          `${shortTime(l.linkedAt)} (${relative(l.linkedAt, now)})`,
        ]),
        o,
      ),
    );
  const { refreshedAt, maxAgeSeconds } = answer.groups;
  const until = refreshedAt ? Date.parse(refreshedAt) + maxAgeSeconds * 1000 : undefined;
  o.out('');
  o.out(
    details(
      [
        [
          'groups refreshed',
          refreshedAt
            ? `${shortTime(refreshedAt)} (${relative(refreshedAt, now)})`
            : 'not recorded (you have no link)',
        ],
        ['max age', age(maxAgeSeconds)],
        [
          'slack decisions',
          until === undefined
            ? 'none until you link a Slack user'
            : until > now
              ? `use these groups until ${shortTime(new Date(until).toISOString())}`
              : 'refused until you use hallpass again (your groups are too old)',
        ],
      ],
      o,
    ),
  );
  o.out('');
  o.out(
    `Slack approvals use the groups from your last sign-in to hallpass, for up to ${age(maxAgeSeconds)}: each call to\n` +
      'hallpass refreshes them, and once they are older Slack asks you to open hallpass first.\n' +
      `Removed from an approvers group, you can approve from Slack until then, or until your next call to hallpass.`,
  );
  return 0;
}

export const link: Command = {
  name: 'link',
  summary: 'link your Slack user with a code from `/hallpass link`, or list your links (--list)',
  usage: LINK_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { list: { type: 'boolean', default: false } },
      LINK_USAGE,
    );
    if (values.help) return usage(io, LINK_USAGE);
    if (values.list) {
      noPositionals(positionals, LINK_USAGE);
      const { api, now } = apiContext(values.profile, io);
      return list(api, io, values.json, now());
    }
    const code = normaliseCode(onePositional(positionals, '<code> (or --list)', LINK_USAGE));
    const { api } = apiContext(values.profile, io);
    const answer = await withHints(
      api.call('POST', '/slack/links', SlackLinkResponse, { body: checkBody(SlackLinkBody, { code }) }),
    );
    if (values.json) io.output.out(json(answer));
    else {
      const l = answer.link;
      io.output.out(`Linked Slack user ${l.userId} in team ${l.teamId} to you (link id ${l.id}).`);
      io.output.err(
        'Your Approve and Deny clicks in Slack now act as you. `hallpass link --list` shows your links.',
      );
    }
    return 0;
  },
};

export const unlink: Command = {
  name: 'unlink',
  summary: 'remove one of your Slack links',
  usage: UNLINK_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, {}, UNLINK_USAGE);
    if (values.help) return usage(io, UNLINK_USAGE);
    const id = onePositional(positionals, '<link id>', UNLINK_USAGE);
    const { api } = apiContext(values.profile, io);
    const answer = await withHints(
      api.call('POST', `/slack/links/${encodeURIComponent(id)}/unlink`, SlackLinkResponse, {
        body: checkBody(UnlinkBody, {}),
      }),
    );
    if (values.json) io.output.out(json(answer));
    else
      io.output.out(
        `Removed the link to Slack user ${answer.link.userId} in team ${answer.link.teamId}: its clicks no longer act as you.`,
      );
    return 0;
  },
};
