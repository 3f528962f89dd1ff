/** `credential-process`, `exec`, `env`, `break-glass`: AWS credentials for tools. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Api, Vended } from '../api.ts';
import { onePositional, parseCommand, parseDuration } from '../args.ts';
import { apiContext, type Command, type Io, usage } from '../context.ts';
import {
  type AwsCredentials,
  awsEnvironment,
  credentialProcessJson,
  obtainCredentials,
  shellQuote,
  breakGlass as vendBreakGlass,
} from '../credentials.ts';
import { UsageError } from '../errors.ts';
import { json, paint, relative, shortTime } from '../output.ts';

const CREDENTIAL_OPTIONS = {
  request: { type: 'string' },
  duration: { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
  region: { type: 'string' },
} as const;

async function credentialsFor(args: string[], io: Io, usageText: string) {
  const parsed = parseCommand(args, CREDENTIAL_OPTIONS, usageText);
  const { values, positionals } = parsed;
  if (values.help) return { parsed, credentials: undefined, region: async () => undefined };
  const entitlementId = onePositional(positionals, '<entitlement>', usageText);
  const durationSeconds = values.duration === undefined ? undefined : parseDuration(values.duration);
  if (values.region !== undefined && !REGION.test(values.region))
    throw new UsageError(`--region must be an AWS region name such as eu-west-1, got '${values.region}'`);
  const context = apiContext(values.profile, io);
  const credentials = await obtainCredentials(context, {
    entitlementId,
    requestId: values.request,
    durationSeconds,
    cache: !values['no-cache'],
  });
  const region = async () => values.region ?? (await entitlementRegion(context.api, entitlementId, io));
  return { parsed, credentials, region };
}

/** An AWS region name, as the catalog's `region` (lib/core/catalog.ts). */
const REGION = /^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$/;

/**
 * The entitlement's region, from GET /v1/entitlements; undefined when the catalog names none. A
 * failure to ask is a note on stderr, not a failure: the credentials work without a region.
 */
async function entitlementRegion(api: Api, entitlementId: string, io: Io): Promise<string | undefined> {
  try {
    const { items } = await api.entitlements();
    return items.find((e) => e.id === entitlementId)?.region;
  } catch (error) {
    io.output.err(
      `hallpass: note: the entitlement's region is unknown (${(error as Error).message}); AWS_REGION not set`,
    );
    return undefined;
  }
}

/** AWS_REGION (SDKs) and AWS_DEFAULT_REGION (the AWS CLI), when there is a region. */
const regionEnvironment = (region: string | undefined): Record<string, string> =>
  region ? { AWS_REGION: region, AWS_DEFAULT_REGION: region } : {};

const CREDENTIAL_PROCESS_USAGE = `usage: hallpass credential-process <entitlement> [--request <id>] [--duration 1h] [--no-cache] [--profile <name>]
Prints credentials in the AWS credential_process format. In ~/.aws/config:
  [profile sandbox]
  credential_process = hallpass credential-process sandbox-readonly
Credentials are cached (0600, in the config dir) and reused until 5 minutes before they expire;
--no-cache keeps them in memory only. For an entitlement that needs approval, without --request,
your newest approved request with uses left is used. --duration (900, 90m, 8h) may be up to the
entitlement's maximum: 12h for a web-identity entitlement.`;

export const credentialProcess: Command = {
  name: 'credential-process',
  summary: 'print credentials for the AWS credential_process setting',
  usage: CREDENTIAL_PROCESS_USAGE,
  async run(args, io) {
    const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
    if (own.some((a) => a === '--region' || a.startsWith('--region=')))
      throw new UsageError("credential-process takes no --region: the AWS profile's region setting is used");
    const { parsed, credentials } = await credentialsFor(args, io, CREDENTIAL_PROCESS_USAGE);
    if (parsed.values.help || !credentials) return usage(io, CREDENTIAL_PROCESS_USAGE);
    if (parsed.rest.length)
      throw new UsageError(`unexpected arguments after --\n${CREDENTIAL_PROCESS_USAGE}`);
    // One write of the whole document: never a partial JSON on stdout.
    io.output.out(JSON.stringify(credentialProcessJson(credentials)));
    return 0;
  },
};

const ENV_USAGE = `usage: hallpass env <entitlement> [--request <id>] [--duration 1h] [--no-cache] [--region <region>]
                    [--profile <name>] [--json]
Prints export lines for a POSIX shell:  eval "$(hallpass env sandbox-readonly)"
AWS_REGION and AWS_DEFAULT_REGION are the entitlement's region when the catalog names one (--region
overrides it). --duration (900, 90m, 8h) may be up to the entitlement's maximum: 12h for a
web-identity entitlement.`;

function exportLines(
  credentials: Pick<AwsCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration'>,
  region?: string,
) {
  return Object.entries({ ...awsEnvironment(credentials), ...regionEnvironment(region) })
    .map(([key, value]) => `export ${key}=${shellQuote(value)}`)
    .join('\n');
}

export const env: Command = {
  name: 'env',
  summary: 'print export lines with credentials',
  usage: ENV_USAGE,
  async run(args, io) {
    const { parsed, credentials, region } = await credentialsFor(args, io, ENV_USAGE);
    if (parsed.values.help || !credentials) return usage(io, ENV_USAGE);
    const where = await region();
    io.output.out(
      parsed.values.json
        ? json({ ...awsEnvironment(credentials), ...regionEnvironment(where) })
        : exportLines(credentials, where),
    );
    return 0;
  },
};

/** Runs `command` with `extra` in its environment; resolves to its exit code (128+n for signal n). */
export function runWith(command: string[], extra: Record<string, string>, io: Io): Promise<number> {
  const childEnv: NodeJS.ProcessEnv = { ...io.env, ...extra };
  // A profile in the environment would make AWS tools look elsewhere than the credentials given.
  delete childEnv.AWS_PROFILE;
  delete childEnv.AWS_DEFAULT_PROFILE;
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env: childEnv });
    // Ctrl-C reaches the child from the terminal (same process group): hallpass waits for it to
    // exit and passes its status on. Signals sent to hallpass alone are forwarded.
    const ignore = () => {};
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const done = (code: number) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      resolve(code);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      io.output.err(`hallpass: cannot run '${file}': ${error.code ?? error.message}`);
      done(error.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}

const EXEC_USAGE = `usage: hallpass exec <entitlement> [--request <id>] [--duration 1h] [--no-cache] [--region <region>]
                     [--profile <name>] -- <command...>
Runs the command with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION set, and AWS_REGION and AWS_DEFAULT_REGION to the entitlement's region when
the catalog names one (--region overrides it); exits with the command's exit code. --duration (900,
90m, 8h) may be up to the entitlement's maximum: 12h for a web-identity entitlement.`;

export const exec: Command = {
  name: 'exec',
  summary: 'run a command with credentials in its environment',
  usage: EXEC_USAGE,
  async run(args, io) {
    if (!args.includes('--') && !args.some((a) => a === '-h' || a === '--help'))
      throw new UsageError(`missing -- <command...>\n${EXEC_USAGE}`);
    const { parsed, credentials, region } = await credentialsFor(args, io, EXEC_USAGE);
    if (parsed.values.help || !credentials) return usage(io, EXEC_USAGE);
    if (!parsed.rest.length) throw new UsageError(`missing the command after --\n${EXEC_USAGE}`);
    return runWith(parsed.rest, { ...awsEnvironment(credentials), ...regionEnvironment(await region()) }, io);
  },
};

const BREAK_GLASS_USAGE = `usage: hallpass break-glass <entitlement> --reason "<why, 20+ characters>" [--duration 15m] [--profile <name>] [--json]
                           [-- <command...>]
Emergency access without approval, for the entitlement's break-glass groups. Every use is its own
session, recorded and reviewed by auditors; the credentials are never cached. Prints export lines,
or runs the command after -- with them.`;

export const breakGlass: Command = {
  name: 'break-glass',
  summary: 'emergency access without approval (audited and reviewed)',
  usage: BREAK_GLASS_USAGE,
  async run(args, io) {
    const { values, positionals, rest } = parseCommand(
      args,
      { reason: { type: 'string' }, duration: { type: 'string' } },
      BREAK_GLASS_USAGE,
    );
    if (values.help) return usage(io, BREAK_GLASS_USAGE);
    const entitlementId = onePositional(positionals, '<entitlement>', BREAK_GLASS_USAGE);
    if (values.reason === undefined) throw new UsageError(`--reason is required\n${BREAK_GLASS_USAGE}`);
    if (args.includes('--') && !rest.length)
      throw new UsageError(`missing the command after --\n${BREAK_GLASS_USAGE}`);
    const duration = values.duration === undefined ? undefined : parseDuration(values.duration);
    const context = apiContext(values.profile, io);
    const vended: Vended = await vendBreakGlass(context, entitlementId, values.reason, duration);
    const o = io.output;
    const { session, credentials } = vended;
    o.err(
      paint(
        o,
        'red',
        `Break-glass session ${session.id} on ${entitlementId} as ${session.assumedRoleArn}; expires ${shortTime(credentials.expiration)} (${relative(credentials.expiration, io.now())}). Auditors will review it.`,
      ),
    );
    if (rest.length) return runWith(rest, awsEnvironment(credentials), io);
    o.out(values.json ? json(vended) : exportLines(credentials));
    return 0;
  },
};
