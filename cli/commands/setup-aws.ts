/** `setup-aws`: one AWS CLI profile per entitlement, each getting its credentials from this binary. */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Entitlement } from '../api.ts';
import { noPositionals, parseCommand } from '../args.ts';
import { type AwsProfile, awsConfigFile, managedProfiles, mergeProfiles } from '../aws-config.ts';
import { apiContext, type Command, usage } from '../context.ts';
import { shellQuote } from '../credentials.ts';
import { unifiedDiff } from '../diff.ts';
import { UsageError } from '../errors.ts';
import { json } from '../output.ts';

const SETUP_AWS_USAGE = `usage: hallpass setup-aws [--dry-run] [--remove] [--prefix <text>] [--region <region>] [--bin <path>]
                         [--profile <name>] [--json]
Writes one profile per entitlement you may request into the AWS config file (~/.aws/config, or
$AWS_CONFIG_FILE): [profile hallpass-<entitlement>], whose credential_process runs this hallpass
(by absolute path) and whose region is the entitlement's. They sit between "# >>> hallpass" and
"# <<< hallpass" lines, rewritten on every run; profiles outside those lines are never changed, and
an entitlement whose profile name is already taken there is skipped.
  --dry-run  print what would change (a unified diff), write nothing
  --remove   remove hallpass's profiles (of this hallpass profile)
  --prefix   the AWS profile names' prefix (default hallpass-, or hallpass-<profile>- with --profile)
  --region   the region of entitlements that name none (default: none, the AWS CLI's own)
  --bin      the hallpass command to write (default: the absolute path this hallpass runs from)`;

/**
 * How this hallpass was started, as an absolute path: the installed bin (a symlink to the bundle),
 * or, in a checkout run through tsx (`tsx cli/main.ts`), the repository's bin shim beside main.ts.
 */
export function selfCommand(argv1: string | undefined = process.argv[1]): string {
  if (!argv1) return 'hallpass';
  const path = resolve(argv1);
  return /\.[cm]?ts$/.test(path) ? join(dirname(path), 'hallpass.mjs') : path;
}

/** An AWS region name, as the catalog's `region` (lib/core/catalog.ts). */
const REGION = /^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$/;

/** Writes `text` to `file` whole (temp file, then rename), through a symlink, keeping the file's mode. */
function replaceFile(file: string, text: string): void {
  const target = existsSync(file) ? realpathSync(file) : file;
  const mode = existsSync(target) ? statSync(target).mode & 0o777 : 0o600;
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.hallpass-${process.pid}.tmp`;
  try {
    writeFileSync(temp, text, { mode, flag: 'wx' });
    chmodSync(temp, mode);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function profilesFor(
  items: Entitlement[],
  options: { prefix: string; region: string | undefined; bin: string; profileFlag: string },
): AwsProfile[] {
  return items
    .filter((e) => e.canRequest)
    .map((e) => {
      const region = e.region ?? options.region;
      return {
        name: `${options.prefix}${e.id}`,
        settings: [
          [
            'credential_process',
            `${shellQuote(options.bin)} credential-process ${e.id}${options.profileFlag}`,
          ],
          ...(region ? [['region', region] as [string, string]] : []),
        ],
      };
    });
}

export const setupAws: Command = {
  name: 'setup-aws',
  summary: 'write an AWS CLI profile per entitlement (credential_process, region)',
  usage: SETUP_AWS_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        'dry-run': { type: 'boolean', default: false },
        remove: { type: 'boolean', default: false },
        prefix: { type: 'string' },
        region: { type: 'string' },
        bin: { type: 'string' },
      },
      SETUP_AWS_USAGE,
    );
    if (values.help) return usage(io, SETUP_AWS_USAGE);
    noPositionals(positionals, SETUP_AWS_USAGE);
    if (values.region !== undefined && !REGION.test(values.region))
      throw new UsageError(`--region must be an AWS region name such as eu-west-1, got '${values.region}'`);
    if (values.prefix !== undefined && !/^[A-Za-z0-9_.-]*$/.test(values.prefix))
      throw new UsageError(
        `--prefix may hold letters, digits, '.', '_' and '-' only, got '${values.prefix}'`,
      );
    const context = apiContext(values.profile, io);
    const { profile } = context.settings;
    const owner = `profile ${profile}`;
    const file = awsConfigFile(io.env);
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';

    let wanted: AwsProfile[] = [];
    if (!values.remove) {
      const { items } = await context.api.entitlements();
      wanted = profilesFor(items, {
        prefix: values.prefix ?? (profile === 'default' ? 'hallpass-' : `hallpass-${profile}-`),
        region: values.region,
        bin: values.bin === undefined ? selfCommand() : resolve(values.bin),
        profileFlag: profile === 'default' ? '' : ` --profile ${profile}`,
      });
    }
    const removed = managedProfiles(before, owner).filter((name) => !wanted.some((p) => p.name === name));
    const { text, written, skipped } = mergeProfiles(before, owner, wanted);
    const o = io.output;
    if (values['dry-run']) {
      o.out(
        values.json
          ? json({ file, changed: text !== before, diff: unifiedDiff(before, text, file, file) })
          : unifiedDiff(before, text, file, file) || `No change to ${file}.`,
      );
      return 0;
    }
    if (text !== before) replaceFile(file, text);
    if (values.json) {
      o.out(
        json({
          file,
          written: written.map((p) => ({ name: p.name, ...Object.fromEntries(p.settings) })),
          skipped,
          removed,
        }),
      );
      return 0;
    }
    for (const name of skipped)
      o.err(`Skipped ${name}: a profile of that name exists in ${file} outside hallpass's lines.`);
    if (values.remove) {
      o.out(
        removed.length ? `Removed ${removed.join(', ')} from ${file}.` : `No hallpass profiles in ${file}.`,
      );
      return 0;
    }
    if (!written.length) {
      o.out(
        `No profiles written: you may request no entitlement${skipped.length ? ' whose profile name is free' : ''}.`,
      );
      return 0;
    }
    o.out(`${text === before ? 'Unchanged' : 'Wrote'} ${written.length} profile(s) in ${file}:`);
    for (const p of written) {
      const region = p.settings.find(([key]) => key === 'region')?.[1];
      o.out(`  ${p.name}${region ? ` (${region})` : ''}`);
    }
    if (removed.length) o.out(`Removed ${removed.join(', ')} (no longer yours to request).`);
    o.err(`Try: aws sts get-caller-identity --profile ${written[0]?.name}`);
    return 0;
  },
};
