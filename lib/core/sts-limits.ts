/**
 * STS AssumeRole's input rules (STS API reference, botocore's STS model), checked before any call
 * to STS so that a bad value is refused by hallpass with a clear message instead of by STS. Pure.
 * Each check returns a problem sentence, or null when the value is acceptable.
 */

export const ROLE_ARN =
  /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role\/(?:[\x21-\x7e]{0,510}\/)?([\w+=,.@-]{1,64})$/;
// A customer managed policy (the account's) or an AWS managed one (account `aws`).
export const POLICY_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}|aws):policy\/[\x21-\x7e]{1,1000}$/;
export const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
export const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
// U+0009, U+000A, U+000D and U+0020-U+00FF: the characters STS accepts in an inline session policy.
const POLICY_CHARS = /^[\t\n\r\x20-\xff]*$/;

export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43200;
export const MAX_POLICY_LENGTH = 2048;
export const MAX_POLICY_ARNS = 10;
export const MAX_TAGS = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;

/** Account id of an IAM role ARN, or null when the ARN is not a role ARN STS accepts. */
export function roleAccount(arn: string): string | null {
  if (arn.length < 20 || arn.length > 2048) return null;
  return ROLE_ARN.exec(arn)?.[1] ?? null;
}

export function checkRoleArn(arn: string): string | null {
  return roleAccount(arn) === null
    ? 'must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<path/>name, name up to 64 of [\\w+=,.@-])'
    : null;
}

export function checkPolicyArns(arns: readonly string[], roleArn: string): string | null {
  if (arns.length > MAX_POLICY_ARNS) return `at most ${MAX_POLICY_ARNS} policy ARNs are allowed`;
  const account = roleAccount(roleArn);
  for (const arn of arns) {
    const match = POLICY_ARN.exec(arn);
    if (!match || arn.length > 2048) return `'${arn}' is not an IAM policy ARN`;
    if (match[1] !== account && match[1] !== 'aws')
      return `'${arn}' is not in the role's account (${account})`;
  }
  return null;
}

export function checkDuration(seconds: number, maximum: number): string | null {
  if (!Number.isInteger(seconds)) return 'must be a whole number of seconds';
  if (seconds < MIN_DURATION_SECONDS) return `must be at least ${MIN_DURATION_SECONDS} seconds`;
  if (seconds > maximum) return `must be at most ${maximum} seconds`;
  return null;
}

export function checkSessionPolicy(policy: string): string | null {
  if (policy.length > MAX_POLICY_LENGTH) {
    return `is ${policy.length} characters; STS accepts at most ${MAX_POLICY_LENGTH}`;
  }
  if (!POLICY_CHARS.test(policy)) return 'contains characters outside U+0009, U+000A, U+000D, U+0020-U+00FF';
  return null;
}

export function checkTagKey(key: string): string | null {
  if (key.length < 1 || key.length > MAX_TAG_KEY_LENGTH) return `tag key '${key}' must be 1-128 characters`;
  if (!TAG_CHARS.test(key)) return `tag key '${key}' has characters STS does not accept`;
  if (key.toLowerCase().startsWith('aws:')) return `tag key '${key}' uses the reserved 'aws:' prefix`;
  return null;
}

export function checkTagValue(key: string, value: string): string | null {
  if (value.length > MAX_TAG_VALUE_LENGTH) return `tag '${key}' has a value over 256 characters`;
  if (!TAG_CHARS.test(value)) return `tag '${key}' has a value with characters STS does not accept`;
  return null;
}

/** The whole tag set: count, each key and value, and keys that differ only by case. */
export function checkTags(
  tags: Readonly<Record<string, string>>,
  transitiveKeys: readonly string[],
): string | null {
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS) return `${keys.length} session tags; STS accepts at most ${MAX_TAGS}`;
  const seen = new Set<string>();
  for (const key of keys) {
    const problem = checkTagKey(key) ?? checkTagValue(key, tags[key] ?? '');
    if (problem) return problem;
    const folded = key.toLowerCase();
    if (seen.has(folded)) return `tag keys are case-insensitive: '${key}' appears twice`;
    seen.add(folded);
  }
  if (transitiveKeys.length > MAX_TAGS) return `at most ${MAX_TAGS} transitive tag keys are allowed`;
  const missing = transitiveKeys.find((key) => !Object.hasOwn(tags, key));
  return missing === undefined ? null : `transitive tag key '${missing}' is not one of the session tags`;
}

export function checkExternalId(externalId: string): string | null {
  return EXTERNAL_ID.test(externalId) ? null : 'must be 2-1224 characters of [\\w+=,.@:/-]';
}
