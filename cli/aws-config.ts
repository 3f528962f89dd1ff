/**
 * hallpass's section of the AWS CLI's config file (`~/.aws/config`, or `$AWS_CONFIG_FILE`): one
 * block per hallpass profile, between marker comments, holding one `[profile ...]` per entitlement.
 * Everything between a block's markers is hallpass's and is rewritten whole; everything outside is
 * the user's and is never changed: a profile name the user already has outside the block is
 * skipped, not overwritten. Pure text in, text out; the command does the file I/O.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError } from './errors.ts';

export interface AwsProfile {
  /** The AWS profile name, e.g. `hallpass-sandbox-readonly`. */
  name: string;
  /** Its settings in order, e.g. `credential_process`, `region`. */
  settings: Array<[string, string]>;
}

export interface Merged {
  text: string;
  written: AwsProfile[];
  /** Profiles not written: a section of that name exists outside hallpass's block. */
  skipped: string[];
}

/** The AWS CLI's config file: `$AWS_CONFIG_FILE` (a leading `~` is the home directory, as the AWS CLI reads it), else `~/.aws/config`. */
export function awsConfigFile(env: NodeJS.ProcessEnv): string {
  const file = env.AWS_CONFIG_FILE;
  if (!file) return join(homedir(), '.aws', 'config');
  return resolve(file.replace(/^~(?=$|\/)/, homedir()));
}

const beginMarker = (owner: string) =>
  `# >>> hallpass ${owner}: written by \`hallpass setup-aws\`; edits between these lines are replaced`;
const endMarker = (owner: string) => `# <<< hallpass ${owner}`;

/** The section names of a config file: `[profile x]` and `[default]` count as profiles `x` and `default`. */
function profileNames(lines: string[]): Set<string> {
  const names = new Set<string>();
  for (const line of lines) {
    const match = /^\s*\[\s*(?:profile\s+)?([^\]\s][^\]]*?)\s*\]\s*$/.exec(line);
    if (match?.[1] && !/^(sso-session|services)\s/.test(match[1])) names.add(match[1]);
  }
  return names;
}

/** Where `owner`'s block is: the first and last line index, or undefined. */
function findBlock(lines: string[], owner: string): { start: number; end: number } | undefined {
  const start = lines.indexOf(beginMarker(owner));
  if (start === -1) return undefined;
  const end = lines.indexOf(endMarker(owner), start);
  if (end === -1)
    throw new CliError(
      `hallpass's section of the AWS config has no end line '${endMarker(owner)}'`,
      'add that line after the last hallpass profile, or remove the section by hand, then run setup-aws again',
    );
  return { start, end };
}

const render = (profile: AwsProfile) => [
  `[profile ${profile.name}]`,
  ...profile.settings.map(([key, value]) => `${key} = ${value}`),
];

/**
 * `text` with `owner`'s block holding `profiles` (in place of the old block, else at the end), or
 * with no block when `profiles` is empty. Other lines are kept byte for byte.
 */
export function mergeProfiles(text: string, owner: string, profiles: AwsProfile[]): Merged {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const block = findBlock(lines, owner);
  const before = block ? lines.slice(0, block.start) : [...lines];
  const after = block ? lines.slice(block.end + 1) : [];
  const theirs = profileNames([...before, ...after]);
  const written = profiles.filter((p) => !theirs.has(p.name));
  const skipped = profiles.filter((p) => theirs.has(p.name)).map((p) => p.name);
  const body = written.length
    ? [beginMarker(owner), ...written.flatMap((p, i) => [...(i ? [''] : []), ...render(p)]), endMarker(owner)]
    : [];
  // A new block is set off from what precedes it by one blank line.
  const gap = !block && body.length && before.length && before[before.length - 1]?.trim() !== '' ? [''] : [];
  // Removing the last block takes the blank line that set it off with it.
  if (block && !body.length && !after.length && before[before.length - 1]?.trim() === '') before.pop();
  const out = [...before, ...gap, ...body, ...after];
  return { text: out.length ? `${out.join('\n')}\n` : '', written, skipped };
}

/** The profile names in `owner`'s block of `text`. */
export function managedProfiles(text: string, owner: string): string[] {
  const lines = text.split('\n');
  const block = findBlock(lines, owner);
  return block ? [...profileNames(lines.slice(block.start, block.end + 1))] : [];
}
