// The SDK checks none of these constraints itself, so each request below really reaches the server.
import type { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSts, startLocalSts } from '../../local/sts/server.ts';
import {
  assumeRole,
  client,
  failure,
  policyOfLength,
  TEST_CONFIG,
  VEND,
  validationError,
  violation,
} from './helpers.ts';

let sts: LocalSts;
let sdk: STSClient;

beforeAll(async () => {
  sts = await startLocalSts({ port: 0, config: TEST_CONFIG });
  sdk = client(sts.url, VEND);
});
afterAll(() => sts.close());

const NAME_PATTERN = 'satisfy regular expression pattern: [\\w+=,.@-]*';
const TAG_PATTERN = 'satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+';
const tags = (count: number) => Array.from({ length: count }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));

describe('AssumeRole validation', () => {
  describe('RoleArn', () => {
    it('refuses a RoleArn under 20 characters with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { RoleArn: 'arn:aws:iam::1:role' }))).toEqual(
        violation('arn:aws:iam::1:role', 'roleArn', 'have length greater than or equal to 20'),
      );
    });

    it('refuses an ARN that is not an IAM role with ValidationError', async () => {
      const user = 'arn:aws:iam::111111111111:user/alice';
      expect(await failure(assumeRole(sdk, { RoleArn: user }))).toEqual(
        validationError('Request ARN is invalid'),
      );
    });
  });

  describe('RoleSessionName', () => {
    it('refuses a session name shorter than 2 characters with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { RoleSessionName: 'a' }))).toEqual(
        violation('a', 'roleSessionName', 'have length greater than or equal to 2'),
      );
    });

    it('refuses a session name longer than 64 characters with ValidationError', async () => {
      const name = 'a'.repeat(65);
      expect(await failure(assumeRole(sdk, { RoleSessionName: name }))).toEqual(
        violation(name, 'roleSessionName', 'have length less than or equal to 64'),
      );
    });

    it('refuses a session name with a space with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { RoleSessionName: 'alice smith' }))).toEqual(
        violation('alice smith', 'roleSessionName', NAME_PATTERN),
      );
    });

    it('reports every violated constraint at once, as AWS does', async () => {
      const result = await failure(assumeRole(sdk, { RoleSessionName: '!', DurationSeconds: 60 }));
      expect(result.message).toBe(
        "3 validation errors detected: Value '!' at 'roleSessionName' failed to satisfy constraint: Member must " +
          `${NAME_PATTERN}; Value '!' at 'roleSessionName' failed to satisfy constraint: Member must have length ` +
          "greater than or equal to 2; Value '60' at 'durationSeconds' failed to satisfy constraint: Member must " +
          'have value greater than or equal to 900',
      );
    });
  });

  describe('DurationSeconds', () => {
    it('refuses 899 seconds with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { DurationSeconds: 899 }))).toEqual(
        violation('899', 'durationSeconds', 'have value greater than or equal to 900'),
      );
    });

    it('refuses 43201 seconds with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { DurationSeconds: 43201 }))).toEqual(
        violation('43201', 'durationSeconds', 'have value less than or equal to 43200'),
      );
    });
  });

  describe('Policy', () => {
    it('accepts a session policy of exactly 2048 characters', async () => {
      const out = await assumeRole(sdk, { Policy: policyOfLength(2048) });
      expect(out.PackedPolicySize).toBe(100);
    });

    it('refuses a session policy over 2048 characters with ValidationError', async () => {
      const policy = policyOfLength(2049);
      expect(await failure(assumeRole(sdk, { Policy: policy }))).toEqual(
        violation(policy, 'policy', 'have length less than or equal to 2048'),
      );
    });

    it('refuses a session policy with a character above U+00FF with ValidationError', async () => {
      const policy = '{"Version":"2012-10-17","Statement":[],"Sid":"\u0100"}';
      expect(await failure(assumeRole(sdk, { Policy: policy }))).toEqual(
        violation(
          policy,
          'policy',
          'satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+',
        ),
      );
    });

    it('accepts Latin-1 characters in a session policy', async () => {
      const out = await assumeRole(sdk, { Policy: '{"Version":"2012-10-17","Statement":[],"Sid":"café"}' });
      expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    });

    it('refuses a session policy that is not JSON with MalformedPolicyDocument', async () => {
      // The SDK names declared errors after their model class; the wire code is AWS's.
      expect(await failure(assumeRole(sdk, { Policy: 'allow everything' }))).toEqual({
        name: 'MalformedPolicyDocumentException',
        code: 'MalformedPolicyDocument',
        message: 'Syntax errors in policy.',
        status: 400,
      });
    });

    it('refuses a session policy without a Statement with MalformedPolicyDocument', async () => {
      expect((await failure(assumeRole(sdk, { Policy: '{"Version":"2012-10-17"}' }))).code).toBe(
        'MalformedPolicyDocument',
      );
    });
  });

  describe('PolicyArns', () => {
    it('refuses more than 10 managed policy ARNs with ValidationError', async () => {
      const arns = Array.from({ length: 11 }, (_, i) => ({ arn: `arn:aws:iam::111111111111:policy/p${i}` }));
      const result = await failure(assumeRole(sdk, { PolicyArns: arns }));
      expect(result).toEqual(
        violation(
          `[${arns.map((a) => a.arn).join(', ')}]`,
          'policyArns',
          'have length less than or equal to 10',
        ),
      );
    });

    it('refuses a policy ARN that is not an IAM policy with ValidationError', async () => {
      const arn = 'arn:aws:iam::111111111111:role/not-a-policy';
      expect(await failure(assumeRole(sdk, { PolicyArns: [{ arn }] }))).toEqual(
        validationError(`The policy ARN ${arn} is invalid.`),
      );
    });
  });

  describe('Tags', () => {
    it('accepts 50 tags', async () => {
      const out = await assumeRole(sdk, { Tags: tags(50) });
      expect(out.PackedPolicySize).toBeGreaterThan(0);
    });

    it('refuses 51 tags with ValidationError', async () => {
      const result = await failure(assumeRole(sdk, { Tags: tags(51) }));
      expect(result.name).toBe('ValidationError');
      expect(result.message).toMatch(
        /^1 validation error detected: Value '\[k0=v0, .*, k50=v50\]' at 'tags'/,
      );
      expect(result.message).toMatch(/Member must have length less than or equal to 50$/);
    });

    it('refuses a tag key with a character outside letters, digits, spaces and _.:/=+-@ with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { Tags: [{ Key: 'team#1', Value: 'x' }] }))).toEqual(
        violation('team#1', 'tags.1.member.key', TAG_PATTERN),
      );
    });

    it('refuses a tag value over 256 characters with ValidationError', async () => {
      const value = 'v'.repeat(257);
      expect(await failure(assumeRole(sdk, { Tags: [{ Key: 'k', Value: value }] }))).toEqual(
        violation(value, 'tags.1.member.value', 'have length less than or equal to 256'),
      );
    });

    it('refuses a tag key starting with aws: in any case with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { Tags: [{ Key: 'AWS:team', Value: 'x' }] }))).toEqual(
        validationError("Tag keys cannot start with the reserved prefix 'aws:'."),
      );
    });

    it('refuses tag keys that differ only by case with ValidationError', async () => {
      const duplicates = [
        { Key: 'Team', Value: 'a' },
        { Key: 'team', Value: 'b' },
      ];
      expect(await failure(assumeRole(sdk, { Tags: duplicates }))).toEqual(
        validationError('Duplicate tag keys found. Please note that Tag keys are case insensitive.'),
      );
    });

    it('refuses a transitive tag key that is not among the tags with ValidationError', async () => {
      const request = { Tags: [{ Key: 'team', Value: 'a' }], TransitiveTagKeys: ['project'] };
      expect(await failure(assumeRole(sdk, request))).toEqual(
        validationError('The specified transitive tag key must be included in the requested tags.'),
      );
    });

    it('refuses more than 50 transitive tag keys with ValidationError', async () => {
      const keys = Array.from({ length: 51 }, (_, i) => `k${i}`);
      const result = await failure(assumeRole(sdk, { Tags: tags(50), TransitiveTagKeys: keys }));
      expect(result.message).toMatch(/at 'transitiveTagKeys' failed to satisfy constraint/);
    });
  });

  describe('SourceIdentity and ExternalId', () => {
    // AWS's pattern has no ':', so the reserved prefix is refused by the pattern itself.
    it('refuses a SourceIdentity starting with aws: with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { SourceIdentity: 'aws:alice' }))).toEqual(
        violation('aws:alice', 'sourceIdentity', NAME_PATTERN),
      );
    });

    it('refuses a SourceIdentity with a character outside [\\w+=,.@-] with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { SourceIdentity: 'alice/admin' }))).toEqual(
        violation('alice/admin', 'sourceIdentity', NAME_PATTERN),
      );
    });

    it('refuses an ExternalId shorter than 2 characters with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { ExternalId: 'x' }))).toEqual(
        violation('x', 'externalId', 'have length greater than or equal to 2'),
      );
    });

    it('refuses an ExternalId with a space with ValidationError', async () => {
      expect(await failure(assumeRole(sdk, { ExternalId: 'bad id' }))).toEqual(
        violation('bad id', 'externalId', 'satisfy regular expression pattern: [\\w+=,.@:\\/-]*'),
      );
    });
  });

  describe('packed policy size', () => {
    it('refuses a policy and tags that together overflow the packed size with PackedPolicyTooLarge', async () => {
      // 1900 + 10 * (3 + 17) = 2100 characters: ceil(100 * 2100 / 2048) = 103 %.
      const request = {
        Policy: policyOfLength(1900),
        Tags: Array.from({ length: 10 }, (_, i) => ({ Key: `k0${i}`, Value: 'v'.repeat(17) })),
      };
      expect(await failure(assumeRole(sdk, request))).toEqual({
        name: 'PackedPolicyTooLargeException',
        code: 'PackedPolicyTooLarge',
        message: 'Packed policy consumes 103% of allotted space, please use smaller policy for your session.',
        status: 400,
      });
    });
  });
});
