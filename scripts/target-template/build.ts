/**
 * The CloudFormation template of one target account (`npm run target-template`): the IAM roles the
 * catalog names in that account, each with the least trust its entitlements' issuance needs, and
 * hallpass's OIDC provider when a web-identity entitlement uses one of them. Trust only: a role's
 * permissions are the operator's to attach. Pure: the catalog and options in, the template out.
 *
 * The trust follows what hallpass sends (lib/core/session-plan.ts): the catalog's session tags plus
 * its own reserved ones (lib/core/tags.ts), the catalog's transitive keys, and SourceIdentity always.
 */
import type { Catalog, Entitlement } from '../../lib/core/catalog.ts';
import { REVOCATION_POLICY_NAME } from '../../lib/core/revocation.ts';
import { CANARY_PRINCIPAL, probeRoleName } from '../../lib/core/revocation-canary.ts';
import { MAX_DURATION_SECONDS, ROLE_ARN } from '../../lib/core/sts-limits.ts';
import { TAG } from '../../lib/core/tags.ts';

/** Why a template cannot be built for these options: said to the operator as it is. */
export class TargetTemplateError extends Error {
  override readonly name = 'TargetTemplateError';
}

export interface TargetTemplateOptions {
  /** The target account; may be left out when every catalog role is in one account. */
  account?: string | undefined;
  /** hallpass's web-identity issuer (HALLPASS_WEB_IDENTITY_ISSUER); needed for web-identity roles. */
  issuer?: string | undefined;
  /** The `aud` of hallpass's web-identity tokens (HALLPASS_WEB_IDENTITY_AUDIENCE). */
  audience: string;
  /** The vend function's role; needed for assume-role roles. */
  vendRoleArn?: string | undefined;
  /** Certificate thumbprints for the OIDC provider; none by default (see README "Target accounts"). */
  thumbprints?: readonly string[] | undefined;
  /**
   * The revoke functions' role (`hallpass-<stage>-revoke`), which the account's revoker role trusts;
   * derived from a vend role named `hallpass-<stage>-vend` when not given. Without one, no revoker.
   */
  revokeRoleArn?: string | undefined;
}

export const REVOKER_ID = 'HallpassRevoker';
export const PROBE_ID = 'HallpassRevocationProbe';
export const CANARY_GUARD_ID = 'HallpassRevocationCanaryGuard';

/**
 * The revoke functions' role and the revoker's name, from the vend role's name (`<prefix>-vend` ->
 * `<prefix>-revoke` trusted by `<prefix>-revoker`, as serverless.yml names them); undefined when the
 * vend role is not named that way and no revoke role was given.
 */
export function revokerOf(options: TargetTemplateOptions): { trusted: string; name: string } | undefined {
  const trusted = options.revokeRoleArn ?? options.vendRoleArn?.replace(/-vend$/, '-revoke');
  if (!trusted || trusted === options.vendRoleArn || !ROLE_ARN.test(trusted)) return undefined;
  const name = `${trusted.slice(trusted.lastIndexOf('/') + 1)}r`;
  return { trusted, name };
}

export const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
/** IAM's range of a role's MaxSessionDuration. */
export const MIN_ROLE_SESSION_SECONDS = 3600;
export const MAX_ROLE_SESSION_SECONDS = MAX_DURATION_SECONDS;
export const OIDC_PROVIDER_ID = 'HallpassOidcProvider';

// biome-ignore lint/suspicious/noExplicitAny: a policy condition block is free-form JSON.
type Condition = Record<string, Record<string, any>>;
export interface TrustStatement {
  Sid: string;
  Effect: 'Allow';
  Principal:
    | { AWS: string | { 'Fn::GetAtt': [string, 'Arn'] } }
    | { Federated: { 'Fn::GetAtt': [string, 'Arn'] } };
  Action: string | string[];
  Condition: Condition;
}
export interface Template {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation resource properties are free-form.
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  Outputs: Record<string, { Description: string; Value: unknown }>;
}

/**
 * The vend function's role as serverless.yml names it (VendFunctionRole's RoleName
 * `${self:service}-${sls:stage}-vend`, service `hallpass`; test/deploy/target-template.test.ts reads
 * serverless.yml to keep the two in step). A fixed name, so a trust can name it before it exists.
 */
export function vendRoleArn(hallpassAccount: string, stage: string, partition = 'aws'): string {
  if (!/^\d{12}$/.test(hallpassAccount)) {
    throw new TargetTemplateError(`--hallpass-account must be 12 digits, got '${hallpassAccount}'`);
  }
  if (!/^[a-zA-Z0-9-]{1,40}$/.test(stage)) {
    throw new TargetTemplateError(`--stage must be 1-40 of [a-zA-Z0-9-], got '${stage}'`);
  }
  return `arn:${partition}:iam::${hallpassAccount}:role/hallpass-${stage}-vend`;
}

interface RoleArnParts {
  partition: string;
  account: string;
  path: string;
  name: string;
}

function parseRoleArn(arn: string): RoleArnParts {
  const match = /^arn:([\w-]+):iam::(\d{12}):role(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  if (!match || !ROLE_ARN.test(arn)) throw new TargetTemplateError(`'${arn}' is not an IAM role ARN`);
  const [, partition, account, path, name] = match as unknown as [string, string, string, string, string];
  return { partition, account, path, name };
}

const partitionOf = (arn: string): string => /^arn:([\w-]+):/.exec(arn)?.[1] ?? 'aws';

/** The accounts the catalog's roles are in, sorted. */
export const catalogAccounts = (catalog: Catalog): string[] =>
  [...new Set(catalog.entitlements.map((e) => parseRoleArn(e.roleArn).account))].sort();

/**
 * Every tag key hallpass may send for these entitlements: the catalog's, the session id, the
 * principal and the request id (a request may be used with any entitlement), and break glass where
 * the entitlement allows it.
 */
export function sessionTagKeys(entitlements: readonly Entitlement[]): string[] {
  const keys = new Set<string>();
  for (const e of entitlements) {
    for (const key of Object.keys(e.sessionTags)) keys.add(key);
    keys.add(TAG.sessionId).add(TAG.principal).add(TAG.requestId);
    if (e.breakGlass) keys.add(TAG.breakGlass);
  }
  return [...keys].sort();
}

const transitiveKeys = (entitlements: readonly Entitlement[]): string[] =>
  [...new Set(entitlements.flatMap((e) => e.transitiveTagKeys))].sort();

/**
 * The tag limit of a TagSession: only these keys, and only these transitive. With no transitive key
 * at all, `Null` requires that none is sent (an empty ForAllValues list would be no rule to read).
 */
function tagConditions(entitlements: readonly Entitlement[]): Condition {
  const transitive = transitiveKeys(entitlements);
  return transitive.length
    ? {
        'ForAllValues:StringEquals': {
          'aws:TagKeys': sessionTagKeys(entitlements),
          'sts:TransitiveTagKeys': transitive,
        },
      }
    : {
        'ForAllValues:StringEquals': { 'aws:TagKeys': sessionTagKeys(entitlements) },
        Null: { 'sts:TransitiveTagKeys': 'true' },
      };
}

const one = <T>(values: T[]): T | T[] => (values.length === 1 ? (values[0] as T) : values);
const sourceIdentitySet = { 'sts:SourceIdentity': '*' };
// Every session hallpass makes carries its session id and principal tags: a session without them
// (made outside hallpass's audited path) is refused by the role itself. ForAllValues alone passes a
// request with no tags at all.
const hallpassTagsSet = {
  [`aws:RequestTag/${TAG.sessionId}`]: '?*',
  [`aws:RequestTag/${TAG.principal}`]: '?*',
};

/**
 * Assume-role trust: the vend role may AssumeRole (with the entitlement's ExternalId when it has
 * one, and only with a SourceIdentity), tag the session with hallpass's keys only, and set the
 * SourceIdentity. Entitlements with different ExternalIds each get their AssumeRole statement.
 */
function assumeRoleStatements(entitlements: readonly Entitlement[], vendRole: string): TrustStatement[] {
  const principal = { AWS: vendRole };
  const externalIds = [...new Set(entitlements.map((e) => e.externalId))];
  const assume = externalIds.map(
    (externalId, i): TrustStatement => ({
      Sid: `HallpassAssumeRole${externalIds.length > 1 ? i + 1 : ''}`,
      Effect: 'Allow',
      Principal: principal,
      Action: 'sts:AssumeRole',
      Condition: {
        ...(externalId === undefined ? {} : { StringEquals: { 'sts:ExternalId': externalId } }),
        StringLike: { ...sourceIdentitySet, ...hallpassTagsSet },
      },
    }),
  );
  return [
    ...assume,
    {
      Sid: 'HallpassTagSession',
      Effect: 'Allow',
      Principal: principal,
      Action: 'sts:TagSession',
      Condition: tagConditions(entitlements),
    },
    {
      Sid: 'HallpassSetSourceIdentity',
      Effect: 'Allow',
      Principal: principal,
      Action: 'sts:SetSourceIdentity',
      Condition: { StringLike: sourceIdentitySet },
    },
  ];
}

/**
 * Web-identity trust: tokens of hallpass's provider, for this audience, whose `sub` is
 * `<entitlementId>:<person>` of one of these entitlements, with a SourceIdentity and hallpass's tag
 * keys only. One statement: STS authorizes AssumeRoleWithWebIdentity, TagSession and
 * SetSourceIdentity against the same token, so the same conditions hold for all three.
 */
function webIdentityStatement(
  entitlements: readonly Entitlement[],
  provider: string,
  audience: string,
): TrustStatement {
  const tags = tagConditions(entitlements);
  return {
    Sid: 'HallpassWebIdentity',
    Effect: 'Allow',
    Principal: { Federated: { 'Fn::GetAtt': [OIDC_PROVIDER_ID, 'Arn'] } },
    Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
    Condition: {
      StringEquals: { [`${provider}:aud`]: audience },
      StringLike: {
        [`${provider}:sub`]: one(entitlements.map((e) => `${e.id}:*`)),
        ...sourceIdentitySet,
        ...hallpassTagsSet,
      },
      ...tags,
    },
  };
}

const canaryTagged = { [`aws:PrincipalTag/${TAG.principal}`]: CANARY_PRINCIPAL };

/**
 * The revoker may make canary sessions of the role for the follow-up check of revocations
 * (lib/core/revocation-canary.ts): tagged with a session id and the canary principal only, nothing
 * transitive, no SourceIdentity. What such a session may do is CANARY_GUARD_ID's to limit.
 */
const canaryStatement = (): TrustStatement => ({
  Sid: 'HallpassRevocationCanary',
  Effect: 'Allow',
  Principal: { AWS: { 'Fn::GetAtt': [REVOKER_ID, 'Arn'] } },
  Action: ['sts:AssumeRole', 'sts:TagSession'],
  Condition: {
    StringEquals: { [`aws:RequestTag/${TAG.principal}`]: CANARY_PRINCIPAL },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.principal, TAG.sessionId].sort() },
    Null: { 'sts:TransitiveTagKeys': 'true', 'sts:SourceIdentity': 'true' },
  },
});

/** The provider as IAM names it in condition keys: the issuer URL without `https://`. */
function providerName(issuer: string): { url: string; name: string } {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TargetTemplateError(`the issuer '${issuer}' is not a URL`);
  }
  if (url.protocol !== 'https:') {
    throw new TargetTemplateError(`the issuer '${issuer}' must be an https URL: IAM trusts no other`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new TargetTemplateError(`the issuer '${issuer}' must have no query, fragment or user`);
  }
  const name = `${url.host}${url.pathname}`.replace(/\/+$/, '');
  return { url: `https://${name}`, name };
}

/** The longest session among the entitlements (break glass included), within IAM's 1 h to 12 h. */
export function maxSessionDuration(entitlements: readonly Entitlement[]): number {
  const longest = Math.max(
    ...entitlements.map((e) => Math.max(e.maxDurationSeconds, e.breakGlass?.maxDurationSeconds ?? 0)),
  );
  return Math.min(MAX_ROLE_SESSION_SECONDS, Math.max(MIN_ROLE_SESSION_SECONDS, longest));
}

/** A CloudFormation logical id from a role name: letters and digits, `Role` first. */
function logicalId(name: string, taken: Set<string>): string {
  const base = `Role${name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`.slice(0, 200);
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}${n}`;
  taken.add(id);
  return id;
}

/**
 * Builds the template of one target account.
 *
 * 1. Picks the account: the one given, or the catalog's only one; refuses an account without roles.
 * 2. Groups the account's entitlements by role, and each role's by issuance mode.
 * 3. Refuses web-identity roles without an https issuer, and assume-role roles without a vend role.
 * 4. Emits hallpass's OIDC provider (when a web-identity role needs it) and one role per ARN, with
 *    each mode's trust statements, the longest session its entitlements need, and no permissions.
 */
export function buildTargetTemplate(catalog: Catalog, options: TargetTemplateOptions): Template {
  const accounts = catalogAccounts(catalog);
  const account = options.account ?? (accounts.length === 1 ? accounts[0] : undefined);
  if (account === undefined) {
    throw new TargetTemplateError(
      `the catalog's roles are in ${accounts.length} accounts (${accounts.join(', ')}): name one with --account`,
    );
  }
  if (!/^\d{12}$/.test(account))
    throw new TargetTemplateError(`--account must be 12 digits, got '${account}'`);

  const roles = new Map<string, Entitlement[]>();
  for (const e of catalog.entitlements) {
    if (parseRoleArn(e.roleArn).account !== account) continue;
    roles.set(e.roleArn, [...(roles.get(e.roleArn) ?? []), e]);
  }
  if (roles.size === 0) {
    throw new TargetTemplateError(
      `the catalog names no role in account ${account} (its roles are in ${accounts.join(', ')})`,
    );
  }
  const byMode = (list: Entitlement[], mode: Entitlement['issuance']) =>
    list.filter((e) => e.issuance === mode);
  const all = [...roles.values()].flat();
  const webIdentity = byMode(all, 'web-identity');
  const assumeRole = byMode(all, 'assume-role');

  const provider = webIdentity.length && options.issuer ? providerName(options.issuer) : undefined;
  if (webIdentity.length && !provider) {
    throw new TargetTemplateError(
      `web-identity entitlements (${webIdentity.map((e) => e.id).join(', ')}) use roles in ${account}, but no issuer is given: set HALLPASS_WEB_IDENTITY_ISSUER or --issuer`,
    );
  }
  if (assumeRole.length && !options.vendRoleArn) {
    throw new TargetTemplateError(
      `assume-role entitlements (${assumeRole.map((e) => e.id).join(', ')}) use roles in ${account}, but the vend role is not known: give --vend-role-arn, or --hallpass-account and --stage`,
    );
  }
  if (options.vendRoleArn && !ROLE_ARN.test(options.vendRoleArn)) {
    throw new TargetTemplateError(`--vend-role-arn '${options.vendRoleArn}' is not an IAM role ARN`);
  }

  const resources: Template['Resources'] = {};
  const outputs: Template['Outputs'] = {};
  if (provider) {
    resources[OIDC_PROVIDER_ID] = {
      Type: 'AWS::IAM::OIDCProvider',
      Properties: {
        Url: provider.url,
        ClientIdList: [options.audience],
        ...(options.thumbprints?.length ? { ThumbprintList: [...options.thumbprints] } : {}),
      },
    };
    outputs.OidcProviderArn = {
      Description: "hallpass's OIDC provider",
      Value: { 'Fn::GetAtt': [OIDC_PROVIDER_ID, 'Arn'] },
    };
  }

  const revoker = revokerOf(options);
  const taken = new Set<string>([OIDC_PROVIDER_ID, REVOKER_ID, PROBE_ID, CANARY_GUARD_ID]);
  for (const [arn, entitlements] of [...roles].sort(([a], [b]) => a.localeCompare(b))) {
    const { path, name } = parseRoleArn(arn);
    const id = logicalId(name, taken);
    const assume = byMode(entitlements, 'assume-role');
    const web = byMode(entitlements, 'web-identity');
    const statements = [
      ...(assume.length ? assumeRoleStatements(assume, options.vendRoleArn as string) : []),
      ...(web.length && provider ? [webIdentityStatement(web, provider.name, options.audience)] : []),
      ...(revoker ? [canaryStatement()] : []),
    ];
    const ids = entitlements.map((e) => e.id).join(', ');
    resources[id] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: name,
        Path: path,
        Description: `hallpass target role of ${ids}. Trust only: attach its permissions yourself.`.slice(
          0,
          1000,
        ),
        MaxSessionDuration: maxSessionDuration(entitlements),
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: statements },
      },
    };
    outputs[`${id}Arn`] = { Description: `The role of ${ids}`, Value: { 'Fn::GetAtt': [id, 'Arn'] } };
  }

  // The revoker: hallpass's revoke functions write the revocation deny policy of these roles as it
  // (IAM has no condition key for an inline policy's name: the code writes only hallpass-revocations;
  // see README "Revocation"), and make the canaries of the follow-up check. Its policy names the
  // roles by ARN, not Fn::GetAtt: their trust names the revoker, and CloudFormation allows no cycle.
  if (revoker) {
    const roleIds = Object.keys(resources).filter((id) => id !== OIDC_PROVIDER_ID);
    const roleArns = [...roles.keys()].sort((a, b) => a.localeCompare(b));
    resources[REVOKER_ID] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: revoker.name,
        Description: `hallpass's revoker: reads and writes the ${REVOCATION_POLICY_NAME} deny policy of the hallpass roles of this account`,
        MaxSessionDuration: MIN_ROLE_SESSION_SECONDS,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'HallpassRevokes',
              Effect: 'Allow',
              Principal: { AWS: revoker.trusted },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        Policies: [
          {
            PolicyName: REVOCATION_POLICY_NAME,
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'RevocationPolicyOfHallpassRoles',
                  Effect: 'Allow',
                  Action: ['iam:GetRolePolicy', 'iam:PutRolePolicy'],
                  Resource: roleArns,
                },
                {
                  Sid: 'CanariesOfHallpassRoles',
                  Effect: 'Allow',
                  Action: ['sts:AssumeRole', 'sts:TagSession'],
                  Resource: roleArns,
                  Condition: { StringEquals: { [`aws:RequestTag/${TAG.principal}`]: CANARY_PRINCIPAL } },
                },
              ],
            },
          },
        ],
      },
    };
    const probeName = probeRoleName(revoker.name);
    // The probe: what a canary tries, to see whether its role's deny applies yet. It may do nothing.
    // It trusts the account's canary sessions, which the guard below lets the target roles' assume,
    // rather than every target role by ARN: a trust policy has 2,048 characters by default, and an
    // account may hold many roles.
    resources[PROBE_ID] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: probeName,
        Description:
          "hallpass's revocation probe: canary sessions of the hallpass roles assume it to see whether a revocation applies yet. No permissions.",
        MaxSessionDuration: MIN_ROLE_SESSION_SECONDS,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'HallpassCanaries',
              Effect: 'Allow',
              Principal: { AWS: `arn:${partitionOf(roleArns[0] ?? '')}:iam::${account}:root` },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: canaryTagged },
            },
          ],
        },
      },
    };
    // A canary is a session of a target role. The revoker cannot change a managed policy: this one
    // keeps a canary to assuming the probe role, whatever session policy it was (or was not) made with.
    resources[CANARY_GUARD_ID] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        Description:
          "hallpass's revocation canaries (sessions tagged hallpass:principal=hallpass:revocation-canary) may only assume the probe role",
        Roles: roleIds.map((id) => ({ Ref: id })),
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'CanariesAssumeTheProbe',
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Resource: { 'Fn::GetAtt': [PROBE_ID, 'Arn'] },
              Condition: { StringEquals: canaryTagged },
            },
            {
              Sid: 'CanariesDoNothingElse',
              Effect: 'Deny',
              NotAction: 'sts:AssumeRole',
              Resource: '*',
              Condition: { StringEquals: canaryTagged },
            },
            {
              Sid: 'CanariesAssumeNoOtherRole',
              Effect: 'Deny',
              Action: 'sts:AssumeRole',
              NotResource: { 'Fn::GetAtt': [PROBE_ID, 'Arn'] },
              Condition: { StringEquals: canaryTagged },
            },
          ],
        },
      },
    };
    outputs.RevokerRoleArn = {
      Description: "hallpass's revoker role (the revoke functions assume it)",
      Value: { 'Fn::GetAtt': [REVOKER_ID, 'Arn'] },
    };
    outputs.RevocationProbeRoleArn = {
      Description: "hallpass's revocation probe role (canaries assume it)",
      Value: { 'Fn::GetAtt': [PROBE_ID, 'Arn'] },
    };
  }

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `hallpass target roles in account ${account}: who may assume them (hallpass's vend role, or hallpass's OIDC provider for one entitlement's tokens), never what they may do. Attach each role's permission policies yourself.`,
    Resources: resources,
    Outputs: outputs,
  };
}
