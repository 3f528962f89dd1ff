/** `sessions` and `review`: the audit trail (GET /v1/sessions, POST /v1/sessions/{id}/review). */
import type { SessionFilters, SessionRecord } from '../api.ts';
import { onePositional, parseCommand, parseLimit, parseTime } from '../args.ts';
import { apiContext, type Command, usage } from '../context.ts';
import { UsageError } from '../errors.ts';
import {
  details,
  formatDuration,
  json,
  type Output,
  paint,
  relative,
  shortTime,
  status,
  table,
} from '../output.ts';

const SESSIONS_USAGE = `usage: hallpass sessions [<session id>] [--principal <sub>] [--entitlement <id>] [--role <arn>]
                         [--access-key <AccessKeyId>] [--request <id>] [--break-glass]
                         [--from <time>] [--to <time>] [--limit <1..100>] [--cursor <c>] [--profile <name>] [--json]
Issued sessions, newest first: auditors see everyone's, anyone else their own. --from/--to take an
RFC 3339 time or an age (24h, 7d). With an id: that session in full.`;

function via(o: Output, s: SessionRecord): string {
  if (s.breakGlass) return `${paint(o, 'red', 'break glass')} (${status(o, s.breakGlass.review.status)})`;
  if (s.requestId) return `request ${s.requestId}`;
  return 'direct';
}

const person = (p: { sub: string; name: string }) => (p.name === p.sub ? p.sub : `${p.name} (${p.sub})`);

function describeSession(o: Output, s: SessionRecord, now: number): string {
  const pairs: Array<[string, string]> = [
    ['session', paint(o, 'bold', s.id)],
    ['principal', `${person(s.principal)}; groups: ${s.principal.groups.join(', ') || '-'}`],
    ['entitlement', s.entitlementId],
    ['role', s.roleArn],
    ['assumed role', s.assumedRoleArn],
    ['source identity', s.sourceIdentity],
    ['access key', s.accessKeyId],
    ['issued', `${shortTime(s.issuedAt)} (${relative(s.issuedAt, now)})`],
    [
      'expires',
      `${shortTime(s.expiresAt)} (${relative(s.expiresAt, now)}), ${formatDuration(s.durationSeconds)}`,
    ],
    ['via', via(o, s)],
  ];
  if (s.approvers.length) pairs.push(['approvers', s.approvers.map((a) => a.name).join(', ')]);
  if (s.breakGlass) {
    pairs.push(['justification', s.breakGlass.justification]);
    const review = s.breakGlass.review;
    pairs.push([
      'review',
      `${status(o, review.status)}${review.reviewer ? ` by ${review.reviewer.name}` : ''}${review.at ? ` (${shortTime(review.at)})` : ''}${review.comment ? `: ${review.comment}` : ''}`,
    ]);
  }
  const tags = Object.entries(s.tags);
  if (tags.length) pairs.push(['tags', tags.map(([k, v]) => `${k}=${v}`).join(', ')]);
  if (s.policyArns.length) pairs.push(['policy arns', s.policyArns.join(', ')]);
  pairs.push(['session policy', s.sessionPolicy ? 'yes (see --json)' : 'none']);
  pairs.push(['client', `${s.client.sourceIp ?? '-'}, ${s.client.userAgent ?? '-'}`]);
  return details(pairs, o);
}

export const sessions: Command = {
  name: 'sessions',
  summary: 'query the audit trail of issued sessions',
  usage: SESSIONS_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        principal: { type: 'string' },
        entitlement: { type: 'string' },
        role: { type: 'string' },
        'access-key': { type: 'string' },
        request: { type: 'string' },
        'break-glass': { type: 'boolean', default: false },
        from: { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      },
      SESSIONS_USAGE,
    );
    if (values.help) return usage(io, SESSIONS_USAGE);
    if (positionals.length > 1)
      throw new UsageError(`unexpected argument '${positionals[1]}'\n${SESSIONS_USAGE}`);
    const now = io.now();
    const filters: SessionFilters = {
      ...(values.principal ? { principal: values.principal } : {}),
      ...(values.entitlement ? { entitlementId: values.entitlement } : {}),
      ...(values.role ? { roleArn: values.role } : {}),
      ...(values['access-key'] ? { accessKeyId: values['access-key'] } : {}),
      ...(values.request ? { requestId: values.request } : {}),
      ...(values['break-glass'] ? { breakGlass: true } : {}),
      ...(values.from ? { from: parseTime(values.from, '--from', now) } : {}),
      ...(values.to ? { to: parseTime(values.to, '--to', now) } : {}),
    };
    const limit = parseLimit(values.limit);
    if (limit) filters.limit = limit;
    if (values.cursor) filters.cursor = values.cursor;
    const { api } = apiContext(values.profile, io);
    const o = io.output;
    const id = positionals[0];
    if (id) {
      const one = await api.getSession(id);
      o.out(values.json ? json(one) : describeSession(o, one, now));
      return 0;
    }
    const page = await api.listSessions(filters);
    if (values.json) {
      o.out(json(page));
      return 0;
    }
    if (!page.items.length) o.out('No sessions.');
    else
      o.out(
        table(
          ['SESSION', 'ISSUED', 'PRINCIPAL', 'ENTITLEMENT', 'ACCESS KEY', 'DURATION', 'EXPIRES', 'VIA'],
          page.items.map((s) => [
            s.id,
            shortTime(s.issuedAt),
            s.principal.sub,
            s.entitlementId,
            s.accessKeyId,
            formatDuration(s.durationSeconds),
            relative(s.expiresAt, now),
            via(o, s),
          ]),
          o,
        ),
      );
    if (page.nextCursor) o.err(`More: the same command with --cursor ${page.nextCursor}`);
    return 0;
  },
};

const REVIEW_USAGE = `usage: hallpass review <session id> (--justified | --unjustified) --comment "<text>" [--profile <name>] [--json]
Auditors record whether a break-glass session was justified (never their own).`;

export const review: Command = {
  name: 'review',
  summary: 'review a break-glass session (auditors)',
  usage: REVIEW_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        justified: { type: 'boolean', default: false },
        unjustified: { type: 'boolean', default: false },
        comment: { type: 'string' },
      },
      REVIEW_USAGE,
    );
    if (values.help) return usage(io, REVIEW_USAGE);
    const id = onePositional(positionals, '<session id>', REVIEW_USAGE);
    if (values.justified === values.unjustified)
      throw new UsageError(`give exactly one of --justified and --unjustified\n${REVIEW_USAGE}`);
    if (values.comment === undefined) throw new UsageError(`--comment is required\n${REVIEW_USAGE}`);
    const { api } = apiContext(values.profile, io);
    const session = await api.review(id, values.justified ? 'justified' : 'unjustified', values.comment);
    const o = io.output;
    if (values.json) o.out(json(session));
    else
      o.out(
        `Session ${session.id} (${session.principal.sub}, ${session.entitlementId}): ${status(o, session.breakGlass?.review.status ?? 'reviewed')}.`,
      );
    return 0;
  },
};
