// AssumeRole's request rules, in the order AWS applies them: the API model's constraints (all reported
// together), then the semantic checks, then authorization against the role, then the session limits.
import { ROLE_ARN, type RoleConfig } from './config.ts';
import { MESSAGES, StsError } from './errors.ts';
import { type Identity, isAssumedRoleSession } from './keys.ts';

export interface Tag {
  key: string;
  value: string;
}

export interface AssumeRoleRequest {
  roleArn: string;
  roleSessionName: string;
  durationSeconds: number | undefined;
  policy: string | undefined;
  policyArns: string[];
  tags: Tag[];
  transitiveTagKeys: string[];
  sourceIdentity: string | undefined;
  externalId: string | undefined;
}

export interface Constraint {
  min?: number;
  max?: number;
  /** The pattern as AWS prints it in messages, and as a JavaScript regex. */
  pattern?: [string, RegExp];
}

// Session names and source identities. Having no ':', it also keeps SourceIdentity clear of the
// reserved 'aws:' prefix.
export const NAME: Constraint = { min: 2, max: 64, pattern: ['[\\w+=,.@-]*', /^[\w+=,.@-]*$/] };
export const TAG_KEY: Constraint = {
  min: 1,
  max: 128,
  pattern: ['[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+', /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u],
};
export const TAG_VALUE: Constraint = {
  max: 256,
  pattern: ['[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*', /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u],
};
export const POLICY: Constraint = {
  min: 1,
  max: 2048,
  pattern: ['[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', /^[\t\n\r\u0020-\u00FF]+$/],
};
const EXTERNAL_ID: Constraint = { min: 2, max: 1224, pattern: ['[\\w+=,.@:\\/-]*', /^[\w+=,.@:/-]*$/] };
export const ARN: Constraint = { min: 20, max: 2048 };
const POLICY_ARN = /^arn:aws:iam::(?:\d{12}|aws):policy\/(?:[\x21-\x7E]*\/)?[\w+=,.@-]{1,128}$/;

/** Collects model-constraint violations and reports them in one AWS-style ValidationError. */
export class Violations {
  private readonly found: string[] = [];

  private add(value: string | null, at: string, constraint: string) {
    const shown = value === null ? 'null' : `'${value}'`;
    this.found.push(`Value ${shown} at '${at}' failed to satisfy constraint: Member must ${constraint}`);
  }

  check(value: string | undefined, at: string, rule: Constraint, required = false) {
    if (value === undefined) {
      if (required) this.add(null, at, 'not be null');
      return;
    }
    if (rule.pattern && !rule.pattern[1].test(value)) {
      this.add(value, at, `satisfy regular expression pattern: ${rule.pattern[0]}`);
    }
    if (rule.min !== undefined && value.length < rule.min) {
      this.add(value, at, `have length greater than or equal to ${rule.min}`);
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.add(value, at, `have length less than or equal to ${rule.max}`);
    }
  }

  count(values: string[], at: string, max: number) {
    if (values.length > max)
      this.add(`[${values.join(', ')}]`, at, `have length less than or equal to ${max}`);
  }

  duration(raw: string | undefined): number | undefined {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw)) this.add(raw, 'durationSeconds', 'be an integer');
    else if (value < 900) this.add(raw, 'durationSeconds', 'have value greater than or equal to 900');
    else if (value > 43200) this.add(raw, 'durationSeconds', 'have value less than or equal to 43200');
    return value;
  }

  throwIfAny() {
    const n = this.found.length;
    if (n === 0) return;
    const errors = n === 1 ? 'error' : 'errors';
    throw new StsError('ValidationError', `${n} validation ${errors} detected: ${this.found.join('; ')}`);
  }
}

/** Query-protocol lists arrive as `Name.member.N` or `Name.member.N.Field`; returns them ordered by N. */
export function members(params: URLSearchParams, name: string): Map<string, string>[] {
  const pattern = new RegExp(`^${name}\\.member\\.(\\d+)(?:\\.(\\w+))?$`);
  const byIndex = new Map<number, Map<string, string>>();
  for (const [key, value] of params) {
    const match = pattern.exec(key);
    if (!match) continue;
    const index = Number(match[1]);
    const fields = byIndex.get(index) ?? new Map<string, string>();
    fields.set(match[2] ?? '', value);
    byIndex.set(index, fields);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, fields]) => fields);
}

const invalid = (message: string) => new StsError('ValidationError', message);
export const optional = (params: URLSearchParams, name: string) => params.get(name) ?? undefined;

/** Reads and validates an AssumeRole request on its own, before anything is known about the caller. */
export function parseAssumeRole(params: URLSearchParams): AssumeRoleRequest {
  const v = new Violations();
  const roleArn = optional(params, 'RoleArn');
  const roleSessionName = optional(params, 'RoleSessionName');
  const policy = optional(params, 'Policy');
  const policyArns = members(params, 'PolicyArns').map((m) => m.get('arn') ?? '');
  const rawTags = members(params, 'Tags');
  const transitiveTagKeys = members(params, 'TransitiveTagKeys').map((m) => m.get('') ?? '');
  const sourceIdentity = optional(params, 'SourceIdentity');
  const externalId = optional(params, 'ExternalId');

  v.check(roleArn, 'roleArn', ARN, true);
  v.check(roleSessionName, 'roleSessionName', NAME, true);
  v.count(policyArns, 'policyArns', 10);
  for (const [i, arn] of policyArns.entries()) v.check(arn, `policyArns.${i + 1}.member.arn`, ARN);
  v.check(policy, 'policy', POLICY);
  const durationSeconds = v.duration(optional(params, 'DurationSeconds'));
  const tags = rawTags.map((m, i) => {
    v.check(m.get('Key'), `tags.${i + 1}.member.key`, TAG_KEY, true);
    v.check(m.get('Value'), `tags.${i + 1}.member.value`, TAG_VALUE, true);
    return { key: m.get('Key') ?? '', value: m.get('Value') ?? '' };
  });
  const tagList = tags.map((tag) => `${tag.key}=${tag.value}`);
  v.count(tagList, 'tags', 50);
  v.count(transitiveTagKeys, 'transitiveTagKeys', 50);
  for (const [i, key] of transitiveTagKeys.entries()) {
    v.check(key, `transitiveTagKeys.${i + 1}.member`, TAG_KEY);
  }
  v.check(externalId, 'externalId', EXTERNAL_ID);
  v.check(sourceIdentity, 'sourceIdentity', NAME);
  v.throwIfAny();
  checkArns(roleArn ?? '', policyArns);
  checkTags(tags, transitiveTagKeys);

  return {
    roleArn: roleArn ?? '',
    roleSessionName: roleSessionName ?? '',
    durationSeconds,
    policy,
    policyArns,
    tags,
    transitiveTagKeys,
    sourceIdentity,
    externalId,
  };
}

/** The role and policy ARNs are well-formed (the model only bounds their length). */
export function checkArns(roleArn: string, policyArns: string[]) {
  if (!ROLE_ARN.test(roleArn)) throw invalid('Request ARN is invalid');
  for (const arn of policyArns) {
    if (!POLICY_ARN.test(arn)) throw invalid(`The policy ARN ${arn} is invalid.`);
  }
}

/** Session tags' rules beyond the model: reserved prefix, case-insensitive duplicates, transitive keys. */
export function checkTags(tags: Tag[], transitiveTagKeys: string[]) {
  // Tag keys are case-insensitive in AWS: `Team` and `team` are the same key.
  const keys = tags.map((tag) => tag.key.toLowerCase());
  if (keys.some((key) => key.startsWith('aws:'))) {
    throw invalid("Tag keys cannot start with the reserved prefix 'aws:'.");
  }
  if (new Set(keys).size !== keys.length) {
    throw invalid('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  }
  if (transitiveTagKeys.some((key) => !keys.includes(key.toLowerCase()))) {
    throw invalid('The specified transitive tag key must be included in the requested tags.');
  }
}

/** The role's trust policy, reduced to a list of trusted principals and an optional ExternalId condition. */
export function authorize(request: AssumeRoleRequest, caller: Identity, roles: RoleConfig[]): RoleConfig {
  const role = roles.find((r) => r.arn === request.roleArn);
  const trusted =
    role?.trustedPrincipals.includes(caller.principalArn) &&
    (role.externalId === undefined || role.externalId === request.externalId);
  if (!role || !trusted) {
    throw new StsError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`,
    );
  }
  return role;
}

/** The requested duration (one hour by default) within the role's maximum, and within 1 h when chaining. */
export function sessionDuration(requested: number | undefined, role: RoleConfig, chained: boolean): number {
  const seconds = requested ?? 3600;
  if (seconds > role.maxSessionDuration) throw invalid(MESSAGES.maxSessionDuration);
  if (chained && seconds > 3600) throw invalid(MESSAGES.roleChaining);
  return seconds;
}

/** Role chaining: the caller is itself a role session. */
export const isChained = (caller: Identity) => isAssumedRoleSession(caller);

export function checkPolicyDocument(policy: string | undefined) {
  if (policy === undefined) return;
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    throw new StsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  if (
    typeof document !== 'object' ||
    document === null ||
    Array.isArray(document) ||
    !('Statement' in document)
  ) {
    throw new StsError('MalformedPolicyDocument', 'Missing required field Statement');
  }
}

/**
 * AWS packs the session policy and tags into a binary blob with its own size limit and reports the
 * share used. The real packing is undocumented; plain length against 2048 is simple, monotonic, and
 * errs on the strict side. Undefined when there was nothing to pack (AWS omits the field then).
 */
export function packedPolicySize(request: { policy: string | undefined; tags: Tag[] }): number | undefined {
  if (request.policy === undefined && request.tags.length === 0) return undefined;
  const used = request.tags.reduce(
    (sum, tag) => sum + tag.key.length + tag.value.length,
    request.policy?.length ?? 0,
  );
  const percent = Math.ceil((100 * used) / 2048);
  if (percent > 100) {
    throw new StsError(
      'PackedPolicyTooLarge',
      `Packed policy consumes ${percent}% of allotted space, please use smaller policy for your session.`,
    );
  }
  return percent;
}
