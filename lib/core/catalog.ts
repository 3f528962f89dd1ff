/**
 * The entitlement catalog: its schema, its validation (the schema, then STS's limits and cross-field
 * rules, naming the bad field) and the questions use cases ask of it: who may request, approve, break
 * glass or audit. Pure: reading the file is the catalog-file adapter's (lib/adapters/catalog-file.ts).
 */
import { ConfigError } from '../errors.ts';
import * as z from '../zod.ts';
import { inAnyGroup, type Principal, WORKLOAD_PRINCIPAL } from './principal.ts';
import {
  checkExternalId,
  checkPolicyArns,
  checkRoleArn,
  checkSessionPolicy,
  checkTagKey,
  checkTags,
  checkTagValue,
  MAX_DURATION_SECONDS,
  MIN_DURATION_SECONDS,
} from './sts-limits.ts';
import { RESERVED_TAG_PREFIX, TAG } from './tags.ts';
import { CLAIM_NAME, templateVariables, unknownVariables } from './templates.ts';

/**
 * How an entitlement's sessions are issued. `assume-role`: hallpass's own role calls AssumeRole, which
 * is role chaining (at most 1 h). `web-identity`: hallpass signs a short-lived JWT as its own OIDC
 * provider and calls AssumeRoleWithWebIdentity, up to the role's maximum (at most 12 h).
 */
export const ISSUANCE = ['assume-role', 'web-identity'] as const;
export type Issuance = (typeof ISSUANCE)[number];

/** The longest session of each issuance mode. */
export const MAX_SESSION_SECONDS: Record<Issuance, number> = {
  'assume-role': 3600,
  'web-identity': MAX_DURATION_SECONDS,
};

// requesterPrincipals' form (lib/core/principal.ts, where the CLI's doctor reads it too).
export { WORKLOAD_PRINCIPAL };

/** An AWS region name: us-east-1, us-gov-west-1, cn-northwest-1, eusc-de-east-1. */
const REGION = /^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$/;

/**
 * The catalog's schema, built at its first use rather than at import: a function that reads the
 * catalog packaging validated (loadCatalog with HALLPASS_CATALOG_SHA256) never builds it, which is a
 * few milliseconds of its cold start (bench/README.md "History").
 */
function buildSchemas() {
  const groupList = z.array(z.string().check(z.minLength(1), z.maxLength(256)));

  const principalList = z._default(
    z.array(
      z
        .string()
        .check(
          z.regex(
            WORKLOAD_PRINCIPAL,
            "must be '<issuer name>:<principal>' (an issuer of HALLPASS_ISSUERS, then its exact principal; printable, no spaces, no wildcards * or ?)",
          ),
        ),
    ),
    [],
  );
  const seconds = z.int().check(z.gte(MIN_DURATION_SECONDS), z.lte(MAX_DURATION_SECONDS));
  // Claims the issuer sets and users cannot change, which `${claims.<name>}` templates may use.
  const claimList = z._default(
    z.array(z.string().check(z.regex(CLAIM_NAME, 'must be a claim name of [A-Za-z0-9_:/.-]'))),
    [],
  );

  const ApprovalSchema = z.discriminatedUnion('required', [
    z.strictObject({ required: z.literal(false) }),
    z.strictObject({
      required: z.literal(true),
      approverGroups: groupList.check(z.minLength(1)),
      minApprovals: z._default(z.int().check(z.gte(1), z.lte(10)), 1),
      validForSeconds: z._default(z.int().check(z.gte(60), z.lte(7 * 86400)), 3600),
      maxUses: z._default(z.int().check(z.gte(1), z.lte(100)), 1),
      decisionTimeoutSeconds: z._default(z.int().check(z.gte(60), z.lte(30 * 86400)), 86400),
    }),
  ]);

  const EntitlementSchema = z.strictObject({
    id: z
      .string()
      .check(
        z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 of [a-z0-9-], starting with a letter or digit'),
      ),
    description: z._default(z.string().check(z.maxLength(1000)), ''),
    roleArn: z.string(),
    issuance: z._default(z.enum(ISSUANCE), 'assume-role'),
    // Where the role's resources are: clients (the CLI's setup-aws, exec, env) default to it.
    region: z.optional(z.string().check(z.regex(REGION, 'must be an AWS region name such as eu-west-1'))),
    requesterGroups: groupList,
    // Workload identities of further issuers that may request it too (exact principals).
    requesterPrincipals: principalList,
    maxDurationSeconds: seconds,
    defaultDurationSeconds: seconds,
    sessionPolicy: z.optional(z.record(z.string(), z.unknown())),
    policyArns: z._default(z.array(z.string()), []),
    sessionTags: z._default(z.record(z.string(), z.string()), {}),
    transitiveTagKeys: z._default(z.array(z.string()), []),
    externalId: z.optional(z.string()),
    trustedClaims: claimList,
    approval: ApprovalSchema,
    breakGlass: z.optional(
      z.strictObject({ groups: groupList.check(z.minLength(1)), maxDurationSeconds: seconds }),
    ),
    // Where its requests are posted for approval (HALLPASS_SLACK_DEFAULT_CHANNEL when unset).
    notify: z.optional(
      z.strictObject({
        slack: z.optional(
          z.strictObject({
            channel: z
              .string()
              .check(z.regex(/^[A-Z0-9]{2,32}$/, 'must be a Slack channel id such as C0123ABCD')),
          }),
        ),
      }),
    ),
  });

  const CatalogSchema = z.strictObject({
    auditorGroups: z._default(groupList, []),
    trustedClaims: claimList,
    entitlements: z.array(EntitlementSchema).check(z.minLength(1)),
  });

  return { catalog: CatalogSchema, entitlement: EntitlementSchema, approval: ApprovalSchema };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;
const catalogSchema = (): Schemas['catalog'] => {
  schemas ??= buildSchemas();
  return schemas.catalog;
};

export type Catalog = z.infer<Schemas['catalog']>;
export type Entitlement = z.infer<Schemas['entitlement']>;
export type Approval = z.infer<Schemas['approval']>;

function fieldPath(path: readonly PropertyKey[], catalog: unknown): string {
  let out = '';
  let node: unknown = catalog;
  for (const key of path) {
    node = (node as Record<PropertyKey, unknown> | undefined)?.[key];
    if (typeof key === 'number') {
      const id = (node as { id?: unknown } | undefined)?.id;
      out += typeof id === 'string' ? `[${key}] (${id})` : `[${key}]`;
    } else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/**
 * Why a template may not feed a policy or tag: `${principal.name}` comes from `email` or
 * `preferred_username`, which many issuers let users change; a claim only when the catalog trusts it.
 */
function untrustedVariable(text: string, trusted: ReadonlySet<string>): string | null {
  for (const name of templateVariables(text)) {
    if (name === 'principal.name')
      return '${principal.name} comes from claims users may be able to change (email, preferred_username): it is for display only; use ${principal.sub} or a trusted claim';
    const claim = name.startsWith('claims.') ? name.slice('claims.'.length) : null;
    if (claim !== null && !trusted.has(claim))
      return `\${${name}} is not a trusted claim: list '${claim}' in trustedClaims (top level or on the entitlement) if the issuer sets it and users cannot change it`;
  }
  return null;
}

/**
 * The longest session an entitlement may have: its issuance mode's (role chaining caps assume-role at
 * 3600 s; HALLPASS_MAX_SESSION_SECONDS may lower that cap).
 */
export function longestSession(issuance: Issuance, maxAssumeRoleSeconds: number): number {
  return issuance === 'assume-role'
    ? Math.min(MAX_SESSION_SECONDS['assume-role'], maxAssumeRoleSeconds)
    : MAX_SESSION_SECONDS['web-identity'];
}

function tooLong(seconds: number, e: Entitlement, longest: number): string | null {
  if (seconds <= longest) return null;
  return e.issuance === 'assume-role'
    ? `${seconds} exceeds ${longest}, the longest assume-role session (AssumeRole from a Lambda function is role chaining, capped at 3600; see HALLPASS_MAX_SESSION_SECONDS); use issuance: web-identity for longer sessions`
    : `${seconds} exceeds ${longest}, the longest web-identity session (STS's maximum)`;
}

/**
 * The rules that depend on the function's settings (HALLPASS_MAX_SESSION_SECONDS): each maximum
 * duration against the longest session of the entitlement's issuance mode.
 */
function durationProblems(
  e: Entitlement,
  maxSessionSeconds: number,
): { maxDurationSeconds: string | null; breakGlass: string | null } {
  const longest = longestSession(e.issuance, maxSessionSeconds);
  return {
    maxDurationSeconds: tooLong(e.maxDurationSeconds, e, longest),
    breakGlass: e.breakGlass ? tooLong(e.breakGlass.maxDurationSeconds, e, longest) : null,
  };
}

/** Rules the schema cannot express: STS's limits, cross-field rules and template variables. */
function entitlementProblems(
  e: Entitlement,
  maxSessionSeconds: number,
  catalogTrustedClaims: readonly string[],
): Array<[string, string]> {
  const trusted = new Set([...catalogTrustedClaims, ...e.trustedClaims]);
  const durations = durationProblems(e, maxSessionSeconds);
  const problems: Array<[string, string | null]> = [
    ['roleArn', checkRoleArn(e.roleArn)],
    ['policyArns', checkPolicyArns(e.policyArns, e.roleArn)],
    [
      'externalId',
      e.externalId === undefined
        ? null
        : e.issuance === 'web-identity'
          ? "AssumeRoleWithWebIdentity takes no ExternalId: a web-identity role trusts hallpass's OIDC provider instead (remove externalId, or use issuance: assume-role)"
          : checkExternalId(e.externalId),
    ],
    ['maxDurationSeconds', durations.maxDurationSeconds],
    [
      'defaultDurationSeconds',
      e.defaultDurationSeconds > e.maxDurationSeconds ? 'must not exceed maxDurationSeconds' : null,
    ],
    ['breakGlass.maxDurationSeconds', durations.breakGlass],
  ];
  if (e.sessionPolicy !== undefined) {
    const text = JSON.stringify(e.sessionPolicy);
    const unknown = unknownVariables(text);
    problems.push(['sessionPolicy', unknown.length ? `unknown template variable \${${unknown[0]}}` : null]);
    problems.push(['sessionPolicy', untrustedVariable(text, trusted)]);
    problems.push([
      'sessionPolicy',
      'Statement' in e.sessionPolicy ? null : 'a policy document needs a Statement',
    ]);
    problems.push(['sessionPolicy', checkSessionPolicy(text)]);
  }
  for (const [key, template] of Object.entries(e.sessionTags)) {
    const reserved = key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)
      ? `'${key}' uses hallpass's reserved prefix`
      : null;
    const unknown = unknownVariables(template);
    problems.push([`sessionTags.${key}`, reserved ?? checkTagKey(key)]);
    problems.push([
      `sessionTags.${key}`,
      unknown.length ? `unknown template variable \${${unknown[0]}}` : null,
    ]);
    problems.push([`sessionTags.${key}`, untrustedVariable(template, trusted)]);
    // A value with no variable is final already: check it now rather than at every vend.
    if (!template.includes('${')) problems.push([`sessionTags.${key}`, checkTagValue(key, template)]);
  }
  // Tag values are checked again once rendered; here the keys, count and transitive subset, with the
  // most tags hallpass adds to one session (a session has a request id or break glass, not both).
  const placeholderTags = Object.fromEntries(
    [...Object.keys(e.sessionTags), TAG.sessionId, TAG.principal, TAG.requestId].map((k) => [k, '']),
  );
  problems.push(['transitiveTagKeys', checkTags(placeholderTags, e.transitiveTagKeys)]);
  return problems.filter((p): p is [string, string] => p[1] !== null);
}

/**
 * Validates a parsed catalog document: the schema, then STS's limits and cross-field rules.
 * Throws ConfigError naming the first bad field, e.g. `entitlements[1] (prod-admin).roleArn: ...`.
 */
export function parseCatalog(document: unknown, options: { maxSessionSeconds: number }): Catalog {
  // options.maxSessionSeconds: the cap of assume-role sessions (HALLPASS_MAX_SESSION_SECONDS, <= 3600).
  const result = catalogSchema().safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = fieldPath(issue?.path ?? [], document);
    throw new ConfigError(`invalid catalog: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return checkRules(result.data, options);
}

/**
 * A catalog that parseCatalog returned before, written as JSON by packaging
 * (deploy/catalog-json.cjs) and read back unchanged (loadCatalog checks its SHA-256): the schema is
 * not run again, nor are the rules that depend on the catalog alone; the rules that depend on this
 * function's settings are (HALLPASS_MAX_SESSION_SECONDS may be lower here than packaging assumed).
 */
export function catalogValidatedAtPackaging(
  catalog: Catalog,
  options: { maxSessionSeconds: number },
): Catalog {
  // Only the settings' rules: the rest depend on the catalog alone, which packaging checked and
  // whose hash says it is unchanged (they cost a few ms of every cold start).
  catalog.entitlements.forEach((entitlement, index) => {
    const where = `entitlements[${index}] (${entitlement.id})`;
    const { maxDurationSeconds, breakGlass } = durationProblems(entitlement, options.maxSessionSeconds);
    if (maxDurationSeconds)
      throw new ConfigError(`invalid catalog: ${where}.maxDurationSeconds: ${maxDurationSeconds}`);
    if (breakGlass)
      throw new ConfigError(`invalid catalog: ${where}.breakGlass.maxDurationSeconds: ${breakGlass}`);
  });
  return catalog;
}

/** STS's limits and the cross-field rules, on a catalog of the schema's shape. */
function checkRules(catalog: Catalog, options: { maxSessionSeconds: number }): Catalog {
  const ids = new Set<string>();
  catalog.entitlements.forEach((entitlement, index) => {
    const where = `entitlements[${index}] (${entitlement.id})`;
    if (ids.has(entitlement.id)) throw new ConfigError(`invalid catalog: ${where}.id: duplicate id`);
    ids.add(entitlement.id);
    const [problem] = entitlementProblems(entitlement, options.maxSessionSeconds, catalog.trustedClaims);
    if (problem) throw new ConfigError(`invalid catalog: ${where}.${problem[0]}: ${problem[1]}`);
  });
  return catalog;
}

export function findEntitlement(catalog: Catalog, id: string): Entitlement | undefined {
  return catalog.entitlements.find((entitlement) => entitlement.id === id);
}

/** Whether any entitlement is issued by web identity (then hallpass must be configured as an issuer). */
export const usesWebIdentity = (catalog: Catalog): boolean =>
  catalog.entitlements.some((e) => e.issuance === 'web-identity');

/**
 * A requester group, or exactly a listed workload principal. A principal of the primary issuer never
 * matches one: theirs are unprefixed, and one that starts with a further issuer's `<name>:` is
 * refused at authentication (lib/adapters/auth.ts).
 */
export const mayRequest = (e: Entitlement, p: Principal): boolean =>
  inAnyGroup(p, e.requesterGroups) || e.requesterPrincipals.includes(p.sub);

/** The issuer names the catalog's workload principals use, each with the first entitlement using it. */
export function workloadIssuers(catalog: Catalog): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of catalog.entitlements) {
    for (const principal of e.requesterPrincipals) {
      const name = WORKLOAD_PRINCIPAL.exec(principal)?.[1];
      if (name && !names.has(name)) names.set(name, e.id);
    }
  }
  return names;
}

export const mayApprove = (e: Entitlement, p: Principal): boolean =>
  e.approval.required && inAnyGroup(p, e.approval.approverGroups);

export const mayBreakGlass = (e: Entitlement, p: Principal): boolean =>
  e.breakGlass !== undefined && inAnyGroup(p, e.breakGlass.groups);

export const isAuditor = (catalog: Catalog, p: Principal): boolean => inAnyGroup(p, catalog.auditorGroups);
