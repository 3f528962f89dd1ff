import { describe, expect, it } from 'vitest';
import {
  checkDuration,
  checkExternalId,
  checkPolicyArns,
  checkRoleArn,
  checkSessionPolicy,
  checkTagKey,
  checkTags,
  checkTagValue,
  roleAccount,
} from '../../../lib/core/sts-limits.ts';

const ROLE = 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly';
const policyArn = (name: string, account = '111111111111') => `arn:aws:iam::${account}:policy/${name}`;
const tagsOf = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`key-${i}`, `value-${i}`]));

describe('checkRoleArn', () => {
  it('accepts a role ARN without a path', () => {
    expect(checkRoleArn('arn:aws:iam::111111111111:role/reader')).toBeNull();
  });

  it('accepts a role ARN with a path', () => {
    expect(checkRoleArn('arn:aws:iam::111111111111:role/teams/data/reader')).toBeNull();
  });

  it('accepts the China and GovCloud partitions', () => {
    const problems = [
      checkRoleArn('arn:aws-cn:iam::111111111111:role/reader'),
      checkRoleArn('arn:aws-us-gov:iam::111111111111:role/reader'),
    ];

    expect(problems).toEqual([null, null]);
  });

  it('accepts a role name of 64 characters', () => {
    expect(checkRoleArn(`arn:aws:iam::111111111111:role/${'r'.repeat(64)}`)).toBeNull();
  });

  it('refuses a role name of 65 characters', () => {
    expect(checkRoleArn(`arn:aws:iam::111111111111:role/${'r'.repeat(65)}`)).toMatch(/IAM role ARN/);
  });

  it('refuses a role name of 65 characters behind a path', () => {
    expect(checkRoleArn(`arn:aws:iam::111111111111:role/team/${'r'.repeat(65)}`)).toMatch(/IAM role ARN/);
  });

  it('accepts a role name of 64 characters behind a path', () => {
    expect(checkRoleArn(`arn:aws:iam::111111111111:role/team/${'r'.repeat(64)}`)).toBeNull();
  });

  it('refuses a role name with a character outside [\\w+=,.@-]', () => {
    expect(checkRoleArn('arn:aws:iam::111111111111:role/read*')).not.toBeNull();
  });

  it('refuses an account id that is not 12 digits', () => {
    expect(checkRoleArn('arn:aws:iam::11111111111:role/reader')).not.toBeNull();
  });

  it('refuses a user ARN', () => {
    expect(checkRoleArn('arn:aws:iam::111111111111:user/alice')).not.toBeNull();
  });

  it('refuses an assumed-role ARN', () => {
    expect(checkRoleArn('arn:aws:sts::111111111111:assumed-role/reader/alice')).not.toBeNull();
  });

  it('refuses a role ARN without a name', () => {
    expect(checkRoleArn('arn:aws:iam::111111111111:role/')).not.toBeNull();
  });

  it('reads the account of a role ARN', () => {
    expect(roleAccount('arn:aws:iam::123456789012:role/team/reader')).toBe('123456789012');
  });
});

describe('checkPolicyArns', () => {
  it('accepts no policy ARNs', () => {
    expect(checkPolicyArns([], ROLE)).toBeNull();
  });

  it('accepts a policy ARN in the role account', () => {
    expect(checkPolicyArns([policyArn('boundary')], ROLE)).toBeNull();
  });

  it('refuses a policy ARN in another account, naming both', () => {
    const problem = checkPolicyArns([policyArn('boundary', '999999999999')], ROLE);

    expect(problem).toBe(
      "'arn:aws:iam::999999999999:policy/boundary' is not in the role's account (111111111111)",
    );
  });

  it('refuses a policy ARN in another account after one in the role account', () => {
    const problem = checkPolicyArns([policyArn('a'), policyArn('b', '222222222222')], ROLE);

    expect(problem).toMatch(/222222222222/);
  });

  it('accepts 10 policy ARNs', () => {
    const arns = Array.from({ length: 10 }, (_, i) => policyArn(`p${i}`));

    expect(checkPolicyArns(arns, ROLE)).toBeNull();
  });

  it('refuses 11 policy ARNs', () => {
    const arns = Array.from({ length: 11 }, (_, i) => policyArn(`p${i}`));

    expect(checkPolicyArns(arns, ROLE)).toBe('at most 10 policy ARNs are allowed');
  });

  it('refuses a role ARN where a policy ARN belongs', () => {
    expect(checkPolicyArns([ROLE], ROLE)).toMatch(/is not an IAM policy ARN/);
  });
});

describe('checkDuration', () => {
  it('refuses 899 seconds', () => {
    expect(checkDuration(899, 3600)).toBe('must be at least 900 seconds');
  });

  it('accepts 900 seconds', () => {
    expect(checkDuration(900, 3600)).toBeNull();
  });

  it('accepts exactly the maximum', () => {
    expect(checkDuration(3600, 3600)).toBeNull();
  });

  it('refuses one second over the maximum', () => {
    expect(checkDuration(3601, 3600)).toBe('must be at most 3600 seconds');
  });

  it('refuses a fraction of a second', () => {
    expect(checkDuration(1.5, 3600)).toBe('must be a whole number of seconds');
  });

  it('refuses a fractional duration within the range', () => {
    expect(checkDuration(1000.5, 3600)).toBe('must be a whole number of seconds');
  });

  it('refuses NaN', () => {
    expect(checkDuration(Number.NaN, 3600)).not.toBeNull();
  });
});

describe('checkSessionPolicy', () => {
  it('accepts a policy of 2048 characters', () => {
    expect(checkSessionPolicy('a'.repeat(2048))).toBeNull();
  });

  it('refuses a policy of 2049 characters', () => {
    expect(checkSessionPolicy('a'.repeat(2049))).toBe('is 2049 characters; STS accepts at most 2048');
  });

  it('refuses a U+0100 character', () => {
    expect(checkSessionPolicy('{"Sid":"\u0100"}')).toMatch(/characters outside/);
  });

  it('accepts U+00FF, tab, line feed and carriage return', () => {
    expect(checkSessionPolicy('{"Sid":"\u00ff"}\t\n\r')).toBeNull();
  });

  it('refuses a control character', () => {
    expect(checkSessionPolicy('{"Sid":"\u0001"}')).not.toBeNull();
  });
});

describe('checkTagKey', () => {
  it('accepts a key of letters, digits and :/=+-@._', () => {
    expect(checkTagKey('team:cost-center/a=b+c@d_e.f')).toBeNull();
  });

  it('refuses the aws: prefix', () => {
    expect(checkTagKey('aws:team')).toMatch(/reserved 'aws:' prefix/);
  });

  it('refuses the aws: prefix in any case', () => {
    const problems = ['AWS:team', 'Aws:team', 'aWs:team'].map(checkTagKey);

    expect(problems.every((problem) => problem?.includes("reserved 'aws:' prefix"))).toBe(true);
  });

  it('accepts a key that only starts with aws', () => {
    expect(checkTagKey('awsome')).toBeNull();
  });

  it('accepts a key of 128 characters', () => {
    expect(checkTagKey('k'.repeat(128))).toBeNull();
  });

  it('refuses a key of 129 characters', () => {
    expect(checkTagKey('k'.repeat(129))).toMatch(/1-128 characters/);
  });

  it('refuses an empty key', () => {
    expect(checkTagKey('')).toMatch(/1-128 characters/);
  });

  it('refuses a key with a character STS does not accept', () => {
    expect(checkTagKey('team*')).toMatch(/characters STS does not accept/);
  });
});

describe('checkTagValue', () => {
  it('accepts an empty value', () => {
    expect(checkTagValue('team', '')).toBeNull();
  });

  it('accepts a value of 256 characters', () => {
    expect(checkTagValue('team', 'v'.repeat(256))).toBeNull();
  });

  it('refuses a value of 257 characters', () => {
    expect(checkTagValue('team', 'v'.repeat(257))).toBe("tag 'team' has a value over 256 characters");
  });

  it('accepts letters of any script and spaces', () => {
    expect(checkTagValue('name', 'Zoë Müller 日本')).toBeNull();
  });

  it('refuses a wildcard', () => {
    expect(checkTagValue('team', 'data*')).toMatch(/characters STS does not accept/);
  });
});

describe('checkTags', () => {
  it('accepts 50 tags', () => {
    expect(checkTags(tagsOf(50), [])).toBeNull();
  });

  it('refuses 51 tags', () => {
    expect(checkTags(tagsOf(51), [])).toBe('51 session tags; STS accepts at most 50');
  });

  it('refuses two keys that differ only by case', () => {
    expect(checkTags({ team: 'a', Team: 'b' }, [])).toBe(
      "tag keys are case-insensitive: 'Team' appears twice",
    );
  });

  it('refuses a tag with a 257-character value', () => {
    expect(checkTags({ team: 'v'.repeat(257) }, [])).toMatch(/over 256 characters/);
  });

  it('refuses a tag with an aws: key', () => {
    expect(checkTags({ 'AWS:team': 'a' }, [])).toMatch(/reserved 'aws:' prefix/);
  });

  it('accepts transitive keys that are among the tags', () => {
    expect(checkTags({ team: 'a', env: 'b' }, ['team'])).toBeNull();
  });

  it('refuses a transitive key that is not among the tags', () => {
    expect(checkTags({ team: 'a' }, ['owner'])).toBe(
      "transitive tag key 'owner' is not one of the session tags",
    );
  });

  it('refuses 51 transitive keys', () => {
    const tags = tagsOf(50);
    const transitive = [...Object.keys(tags), 'key-0'];

    expect(checkTags(tags, transitive)).toBe('at most 50 transitive tag keys are allowed');
  });
});

describe('checkExternalId', () => {
  it('accepts 2 characters', () => {
    expect(checkExternalId('ab')).toBeNull();
  });

  it('refuses 1 character', () => {
    expect(checkExternalId('a')).not.toBeNull();
  });

  it('accepts 1224 characters', () => {
    expect(checkExternalId('e'.repeat(1224))).toBeNull();
  });

  it('refuses 1225 characters', () => {
    expect(checkExternalId('e'.repeat(1225))).not.toBeNull();
  });

  it('accepts : and / besides [\\w+=,.@-]', () => {
    expect(checkExternalId('urn:partner/id+1=a,b.c@d-e_f')).toBeNull();
  });

  it('refuses a space', () => {
    expect(checkExternalId('partner id')).not.toBeNull();
  });
});

describe('transitive keys and inherited object properties', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'refuses a transitive key named %s, which every object inherits',
    (key) => {
      expect(checkTags({ team: 'a' }, [key])).toBe(
        `transitive tag key '${key}' is not one of the session tags`,
      );
    },
  );
});
