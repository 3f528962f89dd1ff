/** `entitlements`, `request`, `requests`, `approve`, `deny`, `cancel`: the approval workflow. */
import { REQUEST_STATUSES } from '../../lib/schemas.ts';
import type { AccessRequest, Entitlement } from '../api.ts';
import { noPositionals, onePositional, parseCommand, parseDuration, parseLimit } from '../args.ts';
import { apiContext, type Command, type Io, profileHint, usage } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
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
  truncate,
} from '../output.ts';

const ENTITLEMENTS_USAGE = `usage: hallpass entitlements [--profile <name>] [--json]
What you may request, approve or break glass on.`;

function canRequest(o: Output, e: Entitlement): string {
  if (!e.canRequest) return '-';
  if (!e.approval.required) return paint(o, 'green', 'yes');
  const n = e.approval.minApprovals;
  return paint(o, 'yellow', `after ${n} approval${n === 1 ? '' : 's'}`);
}

export const entitlements: Command = {
  name: 'entitlements',
  summary: 'list what you may request, approve or break glass on',
  usage: ENTITLEMENTS_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, {}, ENTITLEMENTS_USAGE);
    if (values.help) return usage(io, ENTITLEMENTS_USAGE);
    noPositionals(positionals, ENTITLEMENTS_USAGE);
    const { api } = apiContext(values.profile, io);
    const list = await api.entitlements();
    const o = io.output;
    if (values.json) {
      o.out(json(list));
      return 0;
    }
    if (!list.items.length) {
      o.out('No entitlements: you may not request, approve or break glass on anything.');
      return 0;
    }
    o.out(
      table(
        ['ENTITLEMENT', 'REQUEST', 'APPROVE', 'BREAK GLASS', 'DURATION', 'ROLE', 'DESCRIPTION'],
        list.items.map((e) => [
          paint(o, 'bold', e.id),
          canRequest(o, e),
          e.canApprove ? paint(o, 'green', 'yes') : '-',
          e.breakGlass.allowed
            ? paint(o, 'red', `yes (max ${formatDuration(e.breakGlass.maxDurationSeconds ?? 0)})`)
            : '-',
          `${formatDuration(e.defaultDurationSeconds)} (max ${formatDuration(e.maxDurationSeconds)})`,
          e.roleArn,
          truncate(e.description, 50),
        ]),
        o,
      ),
    );
    return 0;
  },
};

const approvalsOf = (r: AccessRequest) => `${r.approvals.length}/${r.minApprovals}`;

function describeRequest(o: Output, r: AccessRequest, now: number): string {
  const pairs: Array<[string, string]> = [
    ['request', paint(o, 'bold', r.id)],
    ['entitlement', r.entitlementId],
    ['status', status(o, r.status)],
    [
      'requester',
      r.requester.name === r.requester.sub ? r.requester.sub : `${r.requester.name} (${r.requester.sub})`,
    ],
    ['reason', r.justification],
  ];
  if (r.ticket) pairs.push(['ticket', r.ticket]);
  pairs.push(['duration', formatDuration(r.durationSeconds)]);
  pairs.push(['approvals', approvalsOf(r)]);
  for (const a of r.approvals)
    pairs.push([
      '  approved by',
      `${a.approver.name} (${shortTime(a.at)})${a.comment ? `: ${a.comment}` : ''}`,
    ]);
  if (r.denial)
    pairs.push(['denied by', `${r.denial.by.name} (${shortTime(r.denial.at)}): ${r.denial.reason}`]);
  pairs.push(['created', `${shortTime(r.createdAt)} (${relative(r.createdAt, now)})`]);
  if (r.status === 'pending')
    pairs.push(['decide by', `${shortTime(r.expiresAt)} (${relative(r.expiresAt, now)})`]);
  if (r.status === 'approved') {
    pairs.push(['use by', `${shortTime(r.expiresAt)} (${relative(r.expiresAt, now)})`]);
    pairs.push(['uses left', String(r.usesRemaining)]);
  }
  return details(pairs, o);
}

const REQUEST_USAGE = `usage: hallpass request <entitlement> --reason "<why>" [--duration 1h] [--ticket <id>] [--wait]
                        [--interval 5s] [--timeout <duration>] [--profile <name>] [--json]
Asks for access that needs approval. --wait polls until it is approved, denied, cancelled or
expired (exit 0 only when approved).`;

const FINAL = new Set(['approved', 'denied', 'cancelled', 'expired', 'consumed']);

export const request: Command = {
  name: 'request',
  summary: 'ask for access that needs approval (--wait to wait for the decision)',
  usage: REQUEST_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        reason: { type: 'string' },
        duration: { type: 'string' },
        ticket: { type: 'string' },
        wait: { type: 'boolean', default: false },
        interval: { type: 'string' },
        timeout: { type: 'string' },
      },
      REQUEST_USAGE,
    );
    if (values.help) return usage(io, REQUEST_USAGE);
    const entitlementId = onePositional(positionals, '<entitlement>', REQUEST_USAGE);
    if (values.reason === undefined) throw new UsageError(`--reason is required\n${REQUEST_USAGE}`);
    const interval = parseDuration(values.interval ?? '5s', '--interval');
    const timeout = values.timeout === undefined ? undefined : parseDuration(values.timeout, '--timeout');
    const { api, settings } = apiContext(values.profile, io);
    const o = io.output;
    const created = await api.createRequest(
      {
        entitlementId,
        justification: values.reason,
        ...(values.duration !== undefined ? { durationSeconds: parseDuration(values.duration) } : {}),
        ...(values.ticket !== undefined ? { ticket: values.ticket } : {}),
      },
      {
        entitlementId: '<entitlement>',
        justification: '--reason',
        durationSeconds: '--duration',
        ticket: '--ticket',
      },
    );
    if (!values.wait) {
      if (values.json) o.out(json(created));
      else {
        o.out(describeRequest(o, created, io.now()));
        if (created.status === 'pending')
          o.err(
            `Approvers can run: hallpass approve ${created.id}. Wait for it: hallpass requests ${created.id}`,
          );
      }
      return 0;
    }
    if (!values.json)
      o.err(
        `Request ${created.id} for ${entitlementId}: ${created.status} (${approvalsOf(created)} approvals)`,
      );
    let current = created;
    const deadline = timeout === undefined ? Infinity : io.now() + timeout * 1000;
    let last = `${current.status} ${approvalsOf(current)}`;
    while (!FINAL.has(current.status)) {
      if (io.now() >= deadline) {
        if (values.json) o.out(json(current));
        throw new CliError(
          `request ${current.id} is still ${current.status} after ${formatDuration(timeout ?? 0)}`,
          `keep waiting: hallpass requests ${current.id}${profileHint(settings)}`,
        );
      }
      await io.sleep(Math.max(1, interval) * 1000);
      current = await api.getRequest(current.id);
      const now = `${current.status} ${approvalsOf(current)}`;
      if (now !== last && !values.json) {
        const by = current.approvals.at(-1)?.approver.name;
        o.err(
          `${status(o, current.status)} (${approvalsOf(current)} approvals${by ? `, last by ${by}` : ''})`,
        );
      }
      last = now;
    }
    if (values.json) o.out(json(current));
    else o.out(describeRequest(o, current, io.now()));
    if (current.status === 'approved') {
      if (!values.json)
        o.err(
          `Use it: hallpass exec ${entitlementId} --request ${current.id} -- <command>   (or credential-process / env)`,
        );
      return 0;
    }
    if (!values.json) o.err(`Request ${current.id} was ${current.status}.`);
    return 1;
  },
};

const REQUESTS_USAGE = `usage: hallpass requests [<request id>] [--approvable] [--status <status>] [--limit <1..100>] [--cursor <c>]
                         [--profile <name>] [--json]
Your requests, newest first; --approvable: the requests you may decide. With an id: that request.
Statuses: ${REQUEST_STATUSES.join(', ')}.`;

export const requests: Command = {
  name: 'requests',
  summary: 'list your requests, or those you may approve (--approvable)',
  usage: REQUESTS_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        approvable: { type: 'boolean', default: false },
        status: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      },
      REQUESTS_USAGE,
    );
    if (values.help) return usage(io, REQUESTS_USAGE);
    if (positionals.length > 1)
      throw new UsageError(`unexpected argument '${positionals[1]}'\n${REQUESTS_USAGE}`);
    const { status: wanted } = values;
    if (wanted !== undefined && !(REQUEST_STATUSES as readonly string[]).includes(wanted))
      throw new UsageError(`--status must be one of ${REQUEST_STATUSES.join(', ')}, got '${wanted}'`);
    const { api, settings } = apiContext(values.profile, io);
    const o = io.output;
    const id = positionals[0];
    if (id) {
      const one = await api.getRequest(id);
      o.out(values.json ? json(one) : describeRequest(o, one, io.now()));
      return 0;
    }
    const limit = parseLimit(values.limit);
    const page = await api.listRequests({
      view: values.approvable ? 'approvable' : 'mine',
      ...(wanted ? { status: wanted } : {}),
      ...(limit ? { limit } : {}),
      ...(values.cursor ? { cursor: values.cursor } : {}),
    });
    if (values.json) {
      o.out(json(page));
      return 0;
    }
    if (!page.items.length) o.out(values.approvable ? 'No requests for you to decide.' : 'No requests.');
    else
      o.out(
        table(
          [
            'ID',
            'ENTITLEMENT',
            'STATUS',
            'REQUESTER',
            'APPROVALS',
            'DURATION',
            'CREATED',
            'EXPIRES',
            'REASON',
          ],
          page.items.map((r) => [
            r.id,
            r.entitlementId,
            status(o, r.status),
            r.requester.sub,
            approvalsOf(r),
            formatDuration(r.durationSeconds),
            relative(r.createdAt, io.now()),
            FINAL.has(r.status) && r.status !== 'approved' ? '-' : relative(r.expiresAt, io.now()),
            truncate(r.justification, 40),
          ]),
          o,
        ),
      );
    if (page.nextCursor) {
      const flags = [values.approvable ? ' --approvable' : '', wanted ? ` --status ${wanted}` : ''].join('');
      o.err(`More: hallpass requests${flags}${profileHint(settings)} --cursor ${page.nextCursor}`);
    }
    return 0;
  },
};

function decision(
  name: 'approve' | 'deny' | 'cancel',
  summary: string,
  usageText: string,
  options: Record<string, { type: 'string' }>,
  act: (
    api: ReturnType<typeof apiContext>['api'],
    id: string,
    values: Record<string, unknown>,
  ) => Promise<AccessRequest>,
): Command {
  return {
    name,
    summary,
    usage: usageText,
    async run(args: string[], io: Io) {
      const { values, positionals } = parseCommand(args, options, usageText);
      if (values.help) return usage(io, usageText);
      const id = onePositional(positionals, '<request id>', usageText);
      const { api } = apiContext(values.profile as string | undefined, io);
      const result = await act(api, id, values);
      const o = io.output;
      if (values.json) o.out(json(result));
      else
        o.out(
          `Request ${result.id} (${result.entitlementId}, ${result.requester.sub}): ${status(o, result.status)}, ${approvalsOf(result)} approvals.`,
        );
      return 0;
    },
  };
}

const APPROVE_USAGE = 'usage: hallpass approve <request id> [--comment "<text>"] [--profile <name>] [--json]';
export const approve = decision(
  'approve',
  'approve a request',
  APPROVE_USAGE,
  { comment: { type: 'string' } },
  (api, id, values) => api.approve(id, values.comment as string | undefined),
);

const DENY_USAGE = 'usage: hallpass deny <request id> --reason "<text>" [--profile <name>] [--json]';
export const deny = decision(
  'deny',
  'deny a request',
  DENY_USAGE,
  { reason: { type: 'string' } },
  (api, id, values) => {
    if (values.reason === undefined) throw new UsageError(`--reason is required\n${DENY_USAGE}`);
    return api.deny(id, values.reason as string);
  },
);

const CANCEL_USAGE = 'usage: hallpass cancel <request id> [--profile <name>] [--json]';
export const cancel = decision('cancel', 'cancel your own request', CANCEL_USAGE, {}, (api, id) =>
  api.cancel(id),
);
