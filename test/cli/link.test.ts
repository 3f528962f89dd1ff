/**
 * FAKE SERVER. `hallpass link` and `hallpass unlink` against a small fake of the Slack link routes of
 * issue 13's design (GET/POST /v1/slack/links, POST /v1/slack/links/{id}/unlink): what the CLI sends,
 * what it prints, and how it reports each of the routes' error codes. The CLI runs in process with a
 * fixed clock; the fake's answers pass the API's own schemas of those routes (lib/schemas.ts).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/app.ts';
import { normaliseCode } from '../../cli/commands/link.ts';
import type { Io } from '../../cli/context.ts';
import { UsageError } from '../../cli/errors.ts';
import { SlackLinkList, SlackLinkResponse } from '../../lib/schemas.ts';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const HOUR = 3_600_000;

interface Call {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** The fake's state: live codes (normalised) -> Slack user, the caller's links, Slack on or off. */
const state = {
  codes: new Map<string, { teamId: string; userId: string }>(),
  linkedElsewhere: new Set<string>(),
  links: [] as Array<{ id: string; teamId: string; userId: string; linkedAt: string }>,
  refreshedAt: '2026-12-03T09:30:00Z' as string | null,
  slack: true,
};
const calls: Call[] = [];
let server: Server;
let base = '';

const refuse = (status: number, code: string, message: string) => ({
  status,
  body: { error: { code, message, requestId: `req-${code}` } },
});

/** The server's normalisation (the design's): case, dashes and spaces ignored, I L -> 1, O -> 0. */
const serverNormalise = (code: string) =>
  code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');

function answer(method: string, url: string, body: unknown): { status: number; body: unknown } {
  if (!state.slack) return refuse(404, 'slack_not_configured', 'Slack is not configured');
  if (method === 'GET' && url === '/v1/slack/links')
    return {
      status: 200,
      body: SlackLinkList.parse({
        links: state.links,
        groups: { refreshedAt: state.refreshedAt, maxAgeSeconds: 86_400 },
      }),
    };
  if (method === 'POST' && url === '/v1/slack/links') {
    const code = (body as { code?: unknown })?.code;
    if (typeof code !== 'string' || Object.keys(body as object).length !== 1)
      return refuse(400, 'invalid_request', 'invalid body');
    const user = state.codes.get(serverNormalise(code));
    if (!user) return refuse(404, 'link_code_not_found', 'unknown, used or expired link code');
    const id = `${user.teamId}-${user.userId}`;
    if (state.linkedElsewhere.has(id))
      return refuse(409, 'slack_user_linked', 'that Slack user is linked to someone else');
    if (state.links.length >= 5) return refuse(409, 'too_many_links', 'you have 5 Slack links already');
    state.codes.delete(serverNormalise(code));
    const link = { id, ...user, linkedAt: '2026-12-03T09:59:00Z' };
    state.links.push(link);
    return { status: 201, body: SlackLinkResponse.parse({ link }) };
  }
  const unlink = /^\/v1\/slack\/links\/([^/]+)\/unlink$/.exec(url);
  if (method === 'POST' && unlink) {
    const link = state.links.find((l) => l.id === decodeURIComponent(unlink[1] as string));
    if (!link) return refuse(404, 'link_not_found', 'no such link of yours');
    state.links = state.links.filter((l) => l !== link);
    return { status: 200, body: SlackLinkResponse.parse({ link }) };
  }
  return refuse(404, 'not_found', 'no route');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : undefined;
      calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const { status, body: out } = answer(req.method ?? '', req.url ?? '', body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
});

afterAll(() => {
  server.close();
});

beforeEach(() => {
  calls.length = 0;
  state.codes = new Map([['ABCDE12345', { teamId: 'T0TEAM', userId: 'U0ALICE' }]]);
  state.linkedElsewhere = new Set();
  state.links = [];
  state.refreshedAt = '2026-12-03T09:30:00Z';
  state.slack = true;
});

function io(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    env: { HALLPASS_URL: base, HALLPASS_TOKEN: 'fake.bearer.token', HALLPASS_CONFIG_DIR: '/nonexistent' },
    output: {
      color: false,
      out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
      err: (t) => (err += `${t}\n`),
    },
    stdin: process.stdin,
    now: () => NOW,
    sleep: async () => {},
    stdout: () => out,
    stderr: () => err,
  };
}

async function hallpass(...args: string[]) {
  const capture = io();
  const code = await run(args, capture);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

describe('link codes', () => {
  it('reads a code in any case, with or without the dash or spaces, I and L as 1 and O as 0', () => {
    expect(normaliseCode('ABCDE-12345')).toBe('ABCDE-12345');
    expect(normaliseCode('abcde12345')).toBe('ABCDE-12345');
    expect(normaliseCode(' abcde 12345 ')).toBe('ABCDE-12345');
    expect(normaliseCode('ilo2x-7zzzz')).toBe('1102X-7ZZZZ');
  });

  it('refuses what cannot be a code', () => {
    expect(() => normaliseCode('ABCDE-1234')).toThrow(UsageError);
    expect(() => normaliseCode('ABCDE-123456')).toThrow(UsageError);
    expect(() => normaliseCode('ABCDE_12345')).toThrow(UsageError);
    expect(() => normaliseCode('')).toThrow(UsageError);
    // U is not in Crockford's alphabet: the API would refuse it too.
    expect(() => normaliseCode('ABCDU-12345')).toThrow(UsageError);
  });
});

describe('hallpass link <code>', () => {
  it('sends the code as shown, with the bearer token, and prints the linked Slack team and user', async () => {
    const result = await hallpass('link', 'abcde12345');
    expect(result.code).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/v1/slack/links', body: { code: 'ABCDE-12345' } });
    expect(calls[0]?.headers.authorization).toBe('Bearer fake.bearer.token');
    expect(result.stdout).toBe('Linked Slack user U0ALICE in team T0TEAM to you (link id T0TEAM-U0ALICE).\n');
  });

  it('prints the API answer as it is with --json', async () => {
    const result = await hallpass('link', 'ABCDE-12345', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      link: { id: 'T0TEAM-U0ALICE', teamId: 'T0TEAM', userId: 'U0ALICE', linkedAt: '2026-12-03T09:59:00Z' },
    });
  });

  it('says an unknown, used or expired code is one and how to get a new one, with its code and request id', async () => {
    const result = await hallpass('link', 'ZZZZZ-99999');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('(HTTP 404 link_code_not_found, request id req-link_code_not_found)');
    expect(result.stderr).toContain('type `/hallpass link` in Slack for a new one');
  });

  it('says a Slack user linked to someone else must unlink in Slack first', async () => {
    state.linkedElsewhere.add('T0TEAM-U0ALICE');
    const result = await hallpass('link', 'ABCDE-12345');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 409 slack_user_linked');
    expect(result.stderr).toContain('they must type `/hallpass unlink` in Slack first');
  });

  it('says to remove a link first when the caller has too many', async () => {
    state.links = [1, 2, 3, 4, 5].map((n) => ({
      id: `T0TEAM-U${n}`,
      teamId: 'T0TEAM',
      userId: `U${n}`,
      linkedAt: '2026-12-01T00:00:00Z',
    }));
    const result = await hallpass('link', 'ABCDE-12345');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 409 too_many_links');
    expect(result.stderr).toContain('`hallpass unlink <link id>`');
  });

  it('says when this hallpass has no Slack app', async () => {
    state.slack = false;
    const result = await hallpass('link', 'ABCDE-12345');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 404 slack_not_configured');
    expect(result.stderr).toContain('no Slack app set up');
  });

  it('refuses a malformed code, a missing one, or a code with --list, before calling the API', async () => {
    const bad = await hallpass('link', 'ABC-123');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "a link code is 10 letters and digits, such as ABCDE-12345 (from `/hallpass link` in Slack), got 'ABC-123'",
    );
    expect((await hallpass('link')).code).toBe(2);
    expect((await hallpass('link', 'ABCDE-12345', 'EXTRA')).code).toBe(2);
    expect((await hallpass('link', '--list', 'ABCDE-12345')).code).toBe(2);
    expect(calls).toEqual([]);
  });
});

describe('hallpass link --list', () => {
  it('lists the links and when the groups were refreshed, with what the max age means', async () => {
    state.links = [
      { id: 'T0TEAM-U0ALICE', teamId: 'T0TEAM', userId: 'U0ALICE', linkedAt: '2026-12-02T10:00:00Z' },
    ];
    const result = await hallpass('link', '--list');
    expect(result.code).toBe(0);
    expect(calls).toMatchObject([{ method: 'GET', url: '/v1/slack/links' }]);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^LINK ID\s+TEAM\s+SLACK USER\s+LINKED$/);
    expect(lines[1]).toMatch(/^T0TEAM-U0ALICE\s+T0TEAM\s+U0ALICE\s+2026-12-02 10:00Z \(1d ago\)$/);
    expect(result.stdout).toContain('groups refreshed: 2026-12-03 09:30Z (30m ago)');
    expect(result.stdout).toContain('max age:          24h');
    expect(result.stdout).toContain('slack decisions:  use these groups until 2026-12-04 09:30Z');
    expect(result.stdout).toContain('for up to 24h');
    expect(result.stdout).toContain('Removed from an approvers group, you can approve from Slack until then');
  });

  it('says Slack decisions are refused once the groups are older than the max age', async () => {
    state.refreshedAt = new Date(NOW - 25 * HOUR).toISOString();
    const result = await hallpass('link', '--list');
    expect(result.stdout).toContain('No Slack links. Type `/hallpass link` in Slack');
    expect(result.stdout).toContain('refused until you use hallpass again');
  });

  it('says when hallpass has recorded no groups (no link yet)', async () => {
    state.refreshedAt = null;
    const result = await hallpass('link', '--list');
    expect(result.stdout).toContain('groups refreshed: not recorded (you have no link)');
    expect(result.stdout).toContain('none until you link a Slack user');
  });

  it('prints the API answer as it is with --json', async () => {
    const result = await hallpass('--json', 'link', '--list');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      links: [],
      groups: { refreshedAt: '2026-12-03T09:30:00Z', maxAgeSeconds: 86_400 },
    });
  });
});

describe('hallpass unlink', () => {
  it('removes the link with an empty body and says so', async () => {
    state.links = [
      { id: 'T0TEAM-U0ALICE', teamId: 'T0TEAM', userId: 'U0ALICE', linkedAt: '2026-12-02T10:00:00Z' },
    ];
    const result = await hallpass('unlink', 'T0TEAM-U0ALICE');
    expect(result.code).toBe(0);
    expect(calls).toMatchObject([{ method: 'POST', url: '/v1/slack/links/T0TEAM-U0ALICE/unlink', body: {} }]);
    expect(result.stdout).toContain('Removed the link to Slack user U0ALICE in team T0TEAM');
    expect(state.links).toEqual([]);
  });

  it('says how to see the ids when the link is not the caller’s', async () => {
    const result = await hallpass('unlink', 'T0TEAM-UNOBODY', '--json');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('HTTP 404 link_not_found');
    expect(result.stderr).toContain('`hallpass link --list`');
  });

  it('escapes the id in the path', async () => {
    await hallpass('unlink', '../../requests/x');
    expect(calls[0]?.url).toBe('/v1/slack/links/..%2F..%2Frequests%2Fx/unlink');
  });

  it('needs exactly one link id', async () => {
    expect((await hallpass('unlink')).code).toBe(2);
    expect((await hallpass('unlink', 'a', 'b')).code).toBe(2);
    expect(calls).toEqual([]);
  });
});

describe('help and completion', () => {
  it('lists link and unlink with their usage', async () => {
    const help = await hallpass('--help');
    expect(help.stdout).toMatch(/^ {2}link\s+link your Slack user/m);
    expect(help.stdout).toMatch(/^ {2}unlink\s+remove one of your Slack links$/m);
    expect((await hallpass('help', 'link')).stdout).toMatch(/^usage: hallpass link <code>/);
    expect((await hallpass('unlink', '--help')).stdout).toMatch(/^usage: hallpass unlink <link id>/);
  });

  it('completes link, unlink and link --list in every shell', async () => {
    const bash = (await hallpass('completion', 'bash')).stdout;
    expect(bash).toMatch(/compgen -W '[^']*\blink unlink\b/);
    expect(bash).toMatch(/^ {4}link\) opts='--help --json --list --no-color --profile' ;;$/m);
    expect(bash).toMatch(/^ {4}unlink\) opts='--help --json --no-color --profile' ;;$/m);
    const zsh = (await hallpass('completion', 'zsh')).stdout;
    expect(zsh).toContain("'unlink\\:remove one of your Slack links'");
    const fish = (await hallpass('completion', 'fish')).stdout;
    expect(fish).toContain("complete -c hallpass -n '__fish_seen_subcommand_from link' -l list");
  });
});
