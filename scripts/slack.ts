/**
 * `npm run -s slack -- <action>`: act as a Slack user against the stack `npm start` runs, signing as
 * its local Slack app (the signing secret npm start keeps in the state directory).
 *
 *   command "<text>" --user U0ALICE         /hallpass <text>; prints the answer Slack would show
 *   approve <requestId> --user U0BOB        clicks Approve on the request's message
 *   deny <requestId> --user U0BOB [--reason "..."]   clicks Deny, then submits the modal
 *   calls [--method chat.postMessage] [--json]        what hallpass sent to the Slack fake
 *
 * --team (default T0LOCAL), --channel, --api (hallpass, default: the running stack's, else
 * http://localhost:$PORT), --slack-url (the Slack fake, default: the API port + 17). Only local
 * addresses are accepted.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { StackInfo } from '../lib/local-stack-file.ts';
import { STACK_FILE } from '../local/paths.ts';
import { readSlackSecrets, SLACK_SECRETS_FILE } from '../local/slack/secrets.ts';
import {
  approve,
  deny,
  describeCall,
  loopbackUrl,
  type Outcome,
  recordedCalls,
  type Simulator,
  SimulatorError,
  sendCommand,
} from '../local/slack/simulator.ts';

const USAGE = `usage: npm run -s slack -- command "<text>" --user <U...>
       npm run -s slack -- approve <requestId> --user <U...>
       npm run -s slack -- deny <requestId> --user <U...> [--reason "<why>"]
       npm run -s slack -- calls [--method <method>] [--json]
options: --team <T...> (default T0LOCAL)  --channel <C...>  --api <url>  --slack-url <url>`;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function fail(message: string, code = 1): never {
  process.stderr.write(`slack: ${message}\n`);
  process.exit(code);
}

const { values: flags, positionals } = (() => {
  try {
    return parseArgs({
      options: {
        user: { type: 'string' },
        team: { type: 'string', default: 'T0LOCAL' },
        channel: { type: 'string' },
        reason: { type: 'string' },
        method: { type: 'string' },
        json: { type: 'boolean', default: false },
        api: { type: 'string' },
        'slack-url': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();

/** hallpass's base URL: --api, else the running stack's (its stack file), else localhost:$PORT. */
function apiUrl(): string {
  if (flags.api) return loopbackUrl(flags.api, '--api');
  try {
    const info = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as StackInfo;
    return loopbackUrl(info.api.replace(/\/v1\/?$/, ''), `the API in ${STACK_FILE}`);
  } catch (error) {
    if (error instanceof SimulatorError) throw error;
    return `http://localhost:${process.env.PORT ?? 3000}`;
  }
}

/** The Slack fake: --slack-url, else npm start's, on the API's port + 17. */
function slackUrl(api: string): string {
  return flags['slack-url']
    ? loopbackUrl(flags['slack-url'], '--slack-url')
    : `http://127.0.0.1:${Number(new URL(api).port || 80) + 17}`;
}

function simulator(): Simulator {
  const api = apiUrl();
  const secrets = readSlackSecrets(SLACK_SECRETS_FILE);
  if (!secrets)
    fail(`no local Slack app in ${SLACK_SECRETS_FILE}: npm start makes it (is the stack running here?)`);
  if (!/^T[A-Z0-9]+$/.test(flags.team))
    fail(`--team must be a Slack team id such as T0LOCAL, got '${flags.team}'`, 2);
  return { apiUrl: api, slackUrl: slackUrl(api), signingSecret: secrets.signingSecret, teamId: flags.team };
}

function user(): string {
  const id = flags.user;
  if (!id) fail(`--user is required (a Slack user id such as U0ALICE)\n${USAGE}`, 2);
  if (!/^[UW][A-Z0-9]+$/.test(id)) fail(`--user must be a Slack user id such as U0ALICE, got '${id}'`, 2);
  return id;
}

function argument(what: string): string {
  const value = positionals[1];
  if (value === undefined || positionals.length > 2) fail(`expected one ${what}\n${USAGE}`, 2);
  return value;
}

/** What the Slack user sees: hallpass's HTTP answer when it has text, then what it sent to Slack. */
function report(outcome: Outcome, nothing: string): void {
  const { status, answer } = outcome;
  if (status !== 200) fail(`hallpass answered HTTP ${status}: ${JSON.stringify(answer)}`);
  if (typeof answer === 'object' && answer !== null) {
    const { text, response_action: action, errors } = answer as Record<string, unknown>;
    if (action === 'errors') fail(`the modal was refused: ${JSON.stringify(errors)}`);
    out(typeof text === 'string' ? text : JSON.stringify(answer));
  }
  for (const call of outcome.calls) out(describeCall(call));
  if (outcome.calls.length === 0 && !(typeof answer === 'object' && answer !== null)) out(nothing);
}

async function main(): Promise<void> {
  if (flags.help) return out(USAGE);
  const [action] = positionals;
  switch (action) {
    case 'command': {
      const text = argument('command text (quote it: "link")');
      const outcome = await sendCommand(simulator(), {
        userId: user(),
        text,
        ...(flags.channel ? { channelId: flags.channel } : {}),
      });
      return report(outcome, '(hallpass answered with nothing to show)');
    }
    case 'approve': {
      const requestId = argument('request id');
      const outcome = await approve(simulator(), { requestId, userId: user() });
      return report(outcome, '(hallpass sent nothing to Slack within 10 s; see the [slack] and [api] lines)');
    }
    case 'deny': {
      const requestId = argument('request id');
      const outcome = await deny(simulator(), {
        requestId,
        userId: user(),
        ...(flags.reason === undefined ? {} : { reason: flags.reason }),
      });
      report(outcome, '(hallpass sent nothing to Slack within 10 s; see the [slack] and [api] lines)');
      if (outcome.submitted) out('The Deny modal was submitted, and hallpass accepted it.');
      return;
    }
    case 'calls': {
      const all = await recordedCalls(slackUrl(apiUrl()));
      const calls = flags.method ? all.filter((call) => call.method === flags.method) : all;
      if (flags.json) return out(JSON.stringify(calls, null, 2));
      for (const call of calls) out(describeCall(call));
      return;
    }
    default:
      fail(`${action ? `unknown action '${action}'` : 'an action is required'}\n${USAGE}`, 2);
  }
}

try {
  await main();
} catch (error) {
  if (error instanceof SimulatorError) fail(error.message);
  throw error;
}
