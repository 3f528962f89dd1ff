/**
 * `console`: the AWS console as an entitlement's role. POST /v1/console vends a session under the
 * same rules as credentials and answers a sign-in URL for it; the URL is opened in the browser, or
 * printed. It is a bearer secret (anyone with it signs in, for 15 minutes): never cached or written
 * to a file, only handed to the browser or printed where the user asked for it.
 */
import type { ConsoleSignIn } from '../api.ts';
import { onePositional, parseCommand, parseDuration } from '../args.ts';
import { systemOpener } from '../browser.ts';
import { type ApiContext, apiContext, type Command, usage } from '../context.ts';
import { withApprovedRequest } from '../credentials.ts';
import { json, relative, shortTime } from '../output.ts';

const CONSOLE_USAGE = `usage: hallpass console <entitlement> [--request <id>] [--duration 8h] [--destination <url>] [--print]
                        [--profile <name>] [--json]
Signs you in to the AWS console as the entitlement's role: opens a sign-in link in your browser.
  --duration     the session's length (900, 90m, 8h), up to the entitlement's maximum
  --destination  the console page to land on, an https URL on an AWS console host
                 (default the console home), e.g. https://console.aws.amazon.com/s3/home
  --print        print the link instead of opening it (also printed when no browser opens)
  --json         print {url, expiresAt, session} instead of opening the link
The link works for 15 minutes and is as secret as credentials: anyone who has it signs in as you.
It is never cached or written to a file. For an entitlement that needs approval, without --request,
your newest approved request with uses left is used.`;

/** POST /v1/console, using an approved request when the entitlement needs one. */
export function signInToConsole(
  context: ApiContext,
  request: { entitlementId: string; requestId?: string; durationSeconds?: number; destination?: string },
): Promise<ConsoleSignIn> {
  const flags = {
    entitlementId: '<entitlement>',
    requestId: '--request',
    durationSeconds: '--duration',
    destination: '--destination',
  };
  return withApprovedRequest(context, request, (requestId) =>
    context.api.console(
      {
        entitlementId: request.entitlementId,
        ...(requestId ? { requestId } : {}),
        ...(request.durationSeconds !== undefined ? { durationSeconds: request.durationSeconds } : {}),
        ...(request.destination !== undefined ? { destination: request.destination } : {}),
      },
      flags,
    ),
  );
}

export const consoleSignIn: Command = {
  name: 'console',
  summary: "open the AWS console as an entitlement's role",
  usage: CONSOLE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        request: { type: 'string' },
        duration: { type: 'string' },
        destination: { type: 'string' },
        print: { type: 'boolean', default: false },
      },
      CONSOLE_USAGE,
    );
    if (values.help) return usage(io, CONSOLE_USAGE);
    const entitlementId = onePositional(positionals, '<entitlement>', CONSOLE_USAGE);
    const durationSeconds = values.duration === undefined ? undefined : parseDuration(values.duration);
    const context = apiContext(values.profile, io);
    const signIn = await signInToConsole(context, {
      entitlementId,
      ...(values.request !== undefined ? { requestId: values.request } : {}),
      ...(durationSeconds !== undefined ? { durationSeconds } : {}),
      ...(values.destination !== undefined ? { destination: values.destination } : {}),
    });
    const o = io.output;
    const { session } = signIn;
    o.err(
      `Console session ${session.id} on ${entitlementId} as ${session.assumedRoleArn}; it expires ${shortTime(session.expiresAt)} (${relative(session.expiresAt, io.now())}). The sign-in link works until ${shortTime(signIn.expiresAt)}.`,
    );
    if (values.json) {
      o.out(json(signIn));
      return 0;
    }
    if (!values.print && (await (io.open ?? systemOpener())(signIn.url))) {
      o.err('Opened the sign-in link in your browser.');
      return 0;
    }
    if (!values.print) o.err('Could not open a browser: open this link yourself (keep it to yourself):');
    o.out(signIn.url);
    return 0;
  },
};
