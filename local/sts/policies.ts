// The inline policies of the local STS's roles (written through the local IAM, local/iam/), and the
// one part of IAM's policy evaluation the local stack needs: an explicit Deny in the role's identity
// policies stops a call made with one of its sessions. Allows are not modelled (the roles file's trust
// is what lets a session chain), and only the condition operators hallpass's revocation policy and
// plain deny policies use are evaluated; the local IAM refuses a policy with any other, rather than
// let an unevaluated deny pass silently.

/** IAM's quota on a role's inline policies, all together, counted without whitespace. */
export const INLINE_POLICY_LIMIT = 10_240;

/** What a request says about its caller and itself, as IAM's condition keys name it. */
export interface RequestContext {
  /** `service:Action`, e.g. `sts:AssumeRole`. */
  action: string;
  resource: string;
  /** Condition keys (compared case-insensitively, as IAM does) and their values. */
  keys: Record<string, string | undefined>;
}

type Values = string | string[];
type ConditionBlock = Record<string, Record<string, Values>>;
interface Statement {
  Effect?: string;
  Action?: Values;
  NotAction?: Values;
  Resource?: Values;
  NotResource?: Values;
  Condition?: ConditionBlock;
}

const list = (v: Values | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's wildcards: `*` any run of characters, `?` any one. */
function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

const time = (value: string) => Date.parse(value);

/** The operators evaluated here: each compares the request's value with one of the policy's. */
const OPERATORS: Record<string, (actual: string, expected: string) => boolean> = {
  StringEquals: (a, e) => a === e,
  StringNotEquals: (a, e) => a !== e,
  StringEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringLike: (a, e) => glob(e, a, false),
  StringNotLike: (a, e) => !glob(e, a, false),
  ArnEquals: (a, e) => a === e,
  ArnLike: (a, e) => glob(e, a, false),
  DateLessThan: (a, e) => time(a) < time(e),
  DateLessThanEquals: (a, e) => time(a) <= time(e),
  DateGreaterThan: (a, e) => time(a) > time(e),
  DateGreaterThanEquals: (a, e) => time(a) >= time(e),
};
// Negated operators hold when the value matches none of the policy's values.
const NEGATED = new Set(['StringNotEquals', 'StringNotLike']);

export const SUPPORTED_OPERATORS = [...Object.keys(OPERATORS), 'Null'];

/** The operators of a document that are not evaluated here (the local IAM refuses such a policy). */
export function unsupportedOperators(document: string): string[] {
  const parsed = JSON.parse(document) as { Statement?: Statement | Statement[] };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement ?? {}];
  return statements.flatMap((s) =>
    Object.keys(s.Condition ?? {}).filter((op) => !SUPPORTED_OPERATORS.includes(op)),
  );
}

function lookup(keys: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(keys)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function conditionsHold(condition: ConditionBlock | undefined, keys: Record<string, string | undefined>) {
  for (const [operator, entries] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = lookup(keys, key);
      if (operator === 'Null') {
        if (list(expected).some((e) => (e === 'true') !== (actual === undefined))) return false;
        continue;
      }
      const compare = OPERATORS[operator];
      // A key the request lacks makes the condition false (negated ones too, without IfExists).
      if (!compare || actual === undefined) return false;
      const values = list(expected);
      const holds = NEGATED.has(operator)
        ? values.every((e) => compare(actual, e))
        : values.some((e) => compare(actual, e));
      if (!holds) return false;
    }
  }
  return true;
}

function statementDenies(s: Statement, context: RequestContext): boolean {
  if (s.Effect !== 'Deny') return false;
  const action = s.NotAction
    ? !list(s.NotAction).some((a) => glob(a, context.action, true))
    : list(s.Action).some((a) => glob(a, context.action, true));
  const resource = s.NotResource
    ? !list(s.NotResource).some((r) => glob(r, context.resource, false))
    : list(s.Resource).some((r) => glob(r, context.resource, false));
  return action && resource && conditionsHold(s.Condition, context.keys);
}

/** Whether any of the documents explicitly denies the request. */
export function explicitlyDenied(documents: string[], context: RequestContext): boolean {
  return documents.some((document) => {
    const parsed = JSON.parse(document) as { Statement?: Statement | Statement[] };
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement ?? {}];
    return statements.some((s) => statementDenies(s, context));
  });
}

/**
 * The inline policies of every role, by role ARN and policy name: what IAM answers (`get`) and what
 * calls are judged by (`all`). On AWS the second lags the first by seconds; here it follows at once,
 * unless a test holds propagation back (`holdPropagation`) to see what hallpass does meanwhile.
 */
export class RolePolicyStore {
  private readonly byRole = new Map<string, Map<string, string>>();
  /** While propagation is held: the policies calls are judged by, as they were when it was held. */
  private applied: Map<string, Map<string, string>> | undefined;

  get(roleArn: string, name: string): string | undefined {
    return this.byRole.get(roleArn)?.get(name);
  }

  /** Every inline policy of the role, as calls are judged by it. */
  all(roleArn: string): string[] {
    return [...((this.applied ?? this.byRole).get(roleArn)?.values() ?? [])];
  }

  /** From now on, writes are stored and answered but not applied to calls, until `releasePropagation`. */
  holdPropagation(): void {
    this.applied ??= new Map([...this.byRole].map(([arn, policies]) => [arn, new Map(policies)]));
  }

  /** Applies every write made while propagation was held. */
  releasePropagation(): void {
    this.applied = undefined;
  }

  /** The role's inline policies' size as IAM counts it, were `name` to hold `document`. */
  sizeWith(roleArn: string, name: string, document: string): number {
    const others = [...(this.byRole.get(roleArn) ?? new Map<string, string>())]
      .filter(([n]) => n !== name)
      .map(([, d]) => d);
    return [...others, document].reduce((sum, d) => sum + d.replace(/\s/g, '').length, 0);
  }

  put(roleArn: string, name: string, document: string): void {
    const policies = this.byRole.get(roleArn) ?? new Map<string, string>();
    policies.set(name, document);
    this.byRole.set(roleArn, policies);
  }
}
