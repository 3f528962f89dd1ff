/**
 * `hallpass <command> [options]`: dispatch, help, and the one place errors are printed. Commands
 * write results to stdout and messages to stderr; a failure is one `hallpass: ...` line (plus a
 * hint) on stderr with exit 1 (2 for usage errors), never partial output on stdout.
 */
import { CLI_VERSION } from './api.ts';
import { systemOpener } from './browser.ts';
import { configure, login, logout, whoami } from './commands/account.ts';
import { review, sessions } from './commands/audit.ts';
import { breakGlass, credentialProcess, env, exec } from './commands/aws.ts';
import { cache } from './commands/cache.ts';
import { completionCommand } from './commands/completion.ts';
import { consoleSignIn } from './commands/console.ts';
import { doctor } from './commands/doctor.ts';
import { link, unlink } from './commands/link.ts';
import { approve, cancel, deny, entitlements, request, requests } from './commands/requests.ts';
import { done, revoke } from './commands/revoke.ts';
import { setupAws } from './commands/setup-aws.ts';
import type { Command, Io } from './context.ts';
import { ApiError, CliError, UsageError } from './errors.ts';
import { paint, terminalOutput } from './output.ts';

export const COMMANDS: Command[] = [
  configure,
  login,
  logout,
  whoami,
  entitlements,
  request,
  requests,
  approve,
  deny,
  cancel,
  credentialProcess,
  exec,
  env,
  setupAws,
  consoleSignIn,
  breakGlass,
  sessions,
  review,
  revoke,
  done,
  link,
  unlink,
  cache,
  doctor,
  completionCommand(() => COMMANDS),
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `hallpass ${CLI_VERSION}: just-in-time AWS credentials from the hallpass API`,
    '',
    'usage: hallpass [--profile <name>] <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'options for every command: --profile <name> (or HALLPASS_PROFILE), --json, --help',
    'environment: HALLPASS_URL (API base URL), HALLPASS_TOKEN (bearer token, instead of `hallpass login`),',
    '             HALLPASS_CONFIG_DIR (default $XDG_CONFIG_HOME/hallpass or ~/.config/hallpass), NO_COLOR',
    '',
    "Durations (--duration) read as 900, 90m, 8h or 1h30m: up to the entitlement's maximum (1h for",
    'assume-role entitlements, up to 12h for web-identity ones); the API says when one is too long.',
    '',
    'Start with: hallpass configure --url <api url> --issuer <issuer url>, then hallpass login.',
    'Run `hallpass <command> --help` for its options.',
  ].join('\n');
}

/** Leading `--profile x`, `--json`, `--help`, `--version` before the command word. */
function splitGlobal(argv: string[]): { global: string[]; command: string | undefined; rest: string[] } {
  const global: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    if (arg === '--profile' && i + 1 < argv.length) {
      global.push(arg, argv[i + 1] as string);
      i += 2;
    } else if (arg.startsWith('--profile=') || arg === '--json' || arg === '--no-color') {
      global.push(arg);
      i++;
    } else if (arg === '--help' || arg === '-h' || arg === '--version' || arg === '-v') {
      global.push(arg);
      i++;
    } else break;
  }
  return { global, command: argv[i], rest: argv.slice(i + 1) };
}

function printError(io: Io, error: unknown): number {
  const o = io.output;
  const prefix = paint({ color: Boolean(process.stderr.isTTY) && o.color }, 'red', 'hallpass:');
  if (error instanceof ApiError) {
    o.err(
      `${prefix} ${error.message} (HTTP ${error.status} ${error.code}${error.requestId ? `, request id ${error.requestId}` : ''})`,
    );
    for (const detail of error.details) o.err(`  - ${detail.path || '(body)'}: ${detail.message}`);
    if (error.hint) o.err(`  ${error.hint}`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    o.err(`${prefix} ${error.message}`);
    if (error.hint) o.err(`  ${error.hint}`);
    return error.exitCode;
  }
  if (error instanceof UsageError) {
    o.err(`${prefix} ${error.message}`);
    return error.exitCode;
  }
  o.err(`${prefix} unexpected error: ${(error as Error)?.stack ?? String(error)}`);
  return 1;
}

export function defaultIo(): Io {
  return {
    env: process.env,
    output: terminalOutput(),
    stdin: process.stdin,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    open: systemOpener(),
  };
}

/** Runs the CLI; resolves to the exit code. */
export async function run(argv: string[], io: Io = defaultIo()): Promise<number> {
  const { global, command, rest } = splitGlobal(argv);
  if (global.includes('--no-color')) io = { ...io, output: { ...io.output, color: false } };
  const passOn = global.filter((a) => a !== '--no-color' && a !== '--version' && a !== '-v');
  try {
    if (global.includes('--version') || global.includes('-v')) {
      io.output.out(CLI_VERSION);
      return 0;
    }
    if (command === undefined) {
      if (global.includes('--help') || global.includes('-h')) {
        io.output.out(help());
        return 0;
      }
      io.output.err(help());
      return 2;
    }
    if (command === 'help') {
      const target = COMMANDS.find((c) => c.name === rest[0]);
      io.output.out(target ? target.usage : help());
      return 0;
    }
    if (command === 'version') {
      io.output.out(CLI_VERSION);
      return 0;
    }
    const target = COMMANDS.find((c) => c.name === command);
    if (!target) throw new UsageError(`unknown command '${command}'; run \`hallpass --help\` for the list`);
    // Global options go before the command's own, and before any `--`.
    const noColor = rest.includes('--no-color');
    if (noColor) io = { ...io, output: { ...io.output, color: false } };
    const separator = rest.indexOf('--');
    const own = (separator === -1 ? rest : rest.slice(0, separator)).filter((a) => a !== '--no-color');
    const after = separator === -1 ? [] : rest.slice(separator);
    return await target.run([...passOn, ...own, ...after], io);
  } catch (error) {
    return printError(io, error);
  }
}
