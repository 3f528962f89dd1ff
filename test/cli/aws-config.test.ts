/**
 * hallpass's section of ~/.aws/config (cli/aws-config.ts), the diff `setup-aws --dry-run` prints
 * (cli/diff.ts), how setup-aws names this binary, and the catalog's `region` field that feeds them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AwsProfile, awsConfigFile, managedProfiles, mergeProfiles } from '../../cli/aws-config.ts';
import { selfCommand } from '../../cli/commands/setup-aws.ts';
import { unifiedDiff } from '../../cli/diff.ts';
import { parseCatalog } from '../../lib/core/catalog.ts';

const profile = (name: string, region?: string): AwsProfile => ({
  name,
  settings: [
    ['credential_process', `/usr/local/bin/hallpass credential-process ${name}`],
    ...(region ? [['region', region] as [string, string]] : []),
  ],
});
const BEGIN =
  '# >>> hallpass profile default: written by `hallpass setup-aws`; edits between these lines are replaced';
const END = '# <<< hallpass profile default';

describe("hallpass's section of the AWS config", () => {
  it('appends one block after the existing file, set off by a blank line', () => {
    const merged = mergeProfiles('[default]\nregion = eu-north-1\n', 'profile default', [
      profile('a', 'us-east-1'),
    ]);
    expect(merged.text).toBe(
      `[default]\nregion = eu-north-1\n\n${BEGIN}\n[profile a]\ncredential_process = /usr/local/bin/hallpass credential-process a\nregion = us-east-1\n${END}\n`,
    );
    expect(merged.skipped).toEqual([]);
  });

  it('rewrites its own block in place, leaving every line around it as it was', () => {
    const first = mergeProfiles('[profile mine]\nregion = x\n', 'profile default', [
      profile('a'),
      profile('b'),
    ]).text;
    const withTail = `${first}[profile later]\noutput = json\n`;
    const again = mergeProfiles(withTail, 'profile default', [profile('b', 'eu-west-1')]);
    expect(again.text).toBe(
      `[profile mine]\nregion = x\n\n${BEGIN}\n[profile b]\ncredential_process = /usr/local/bin/hallpass credential-process b\nregion = eu-west-1\n${END}\n[profile later]\noutput = json\n`,
    );
    expect(managedProfiles(again.text, 'profile default')).toEqual(['b']);
  });

  it("never overwrites a profile it did not write: the user's section of that name wins", () => {
    const theirs = '[profile a]\nsso_session = corp\n';
    const merged = mergeProfiles(theirs, 'profile default', [profile('a'), profile('b')]);
    expect(merged.skipped).toEqual(['a']);
    expect(merged.written.map((p) => p.name)).toEqual(['b']);
    expect(merged.text.startsWith(theirs)).toBe(true);
  });

  it('keeps the blocks of other hallpass profiles (another deployment) apart', () => {
    const staging = mergeProfiles('', 'profile staging', [profile('hallpass-staging-a')]).text;
    const both = mergeProfiles(staging, 'profile default', [profile('hallpass-a')]).text;
    expect(managedProfiles(both, 'profile staging')).toEqual(['hallpass-staging-a']);
    expect(mergeProfiles(both, 'profile default', []).text).toBe(staging);
  });

  it('refuses a block whose end line was deleted, rather than guess where it ends', () => {
    expect(() => mergeProfiles(`${BEGIN}\n[profile a]\n`, 'profile default', [])).toThrow(/no end line/);
  });

  it('reads AWS_CONFIG_FILE as the AWS CLI does (~ is the home directory), else ~/.aws/config', () => {
    expect(awsConfigFile({ AWS_CONFIG_FILE: '~/aws/cfg' })).toBe(join(homedir(), 'aws/cfg'));
    expect(awsConfigFile({})).toBe(join(homedir(), '.aws', 'config'));
  });
});

describe('setup-aws --dry-run diff', () => {
  it('is a unified diff that patch(1) applies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-diff-'));
    try {
      const before = 'a\nb\nc\nd\ne\nf\ng\nh\n';
      const after = 'a\nB\nc\nd\ne\nf\ng\nh\ni\n';
      writeFileSync(join(dir, 'file'), before);
      writeFileSync(join(dir, 'patch'), unifiedDiff(before, after, 'file', 'file'));
      execFileSync('patch', ['-s', join(dir, 'file'), join(dir, 'patch')]);
      expect(execFileSync('cat', [join(dir, 'file')]).toString()).toBe(after);
      expect(unifiedDiff(before, before, 'file', 'file')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the command setup-aws writes', () => {
  it('is the installed bin as invoked, or in a checkout the bin shim beside cli/main.ts', () => {
    expect(selfCommand('/usr/local/bin/hallpass')).toBe('/usr/local/bin/hallpass');
    expect(selfCommand('/repo/cli/main.ts')).toBe('/repo/cli/hallpass.mjs');
  });
});

describe("the catalog's region", () => {
  const catalog = (region: unknown) => ({
    entitlements: [
      {
        id: 'sandbox',
        roleArn: 'arn:aws:iam::111111111111:role/sandbox',
        requesterGroups: ['engineers'],
        maxDurationSeconds: 3600,
        defaultDurationSeconds: 900,
        approval: { required: false },
        ...(region === undefined ? {} : { region }),
      },
    ],
  });

  it.each(['us-east-1', 'eu-central-2', 'us-gov-west-1', 'cn-northwest-1', 'eusc-de-east-1'])(
    'accepts %s',
    (region) => {
      expect(parseCatalog(catalog(region), { maxSessionSeconds: 3600 }).entitlements[0]?.region).toBe(region);
    },
  );

  it('is optional', () => {
    expect(
      parseCatalog(catalog(undefined), { maxSessionSeconds: 3600 }).entitlements[0]?.region,
    ).toBeUndefined();
  });

  it.each(['US-EAST-1', 'us-east', 'useast1', 'us-east-1 ', ''])('refuses %j, naming the field', (region) => {
    expect(() => parseCatalog(catalog(region), { maxSessionSeconds: 3600 })).toThrow(
      /entitlements\[0\] \(sandbox\)\.region: must be an AWS region name/,
    );
  });
});
