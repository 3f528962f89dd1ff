/**
 * `npm run target-template`: the CloudFormation template of one target account's roles, built
 * offline from the catalog. The script is run as the operator runs it (a temporary catalog, env and
 * flags); the builder is also checked in process where the script adds nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCatalog } from '../../lib/core/catalog.ts';
import { probeRoleName } from '../../lib/core/revocation-canary.ts';
import {
  buildTargetTemplate,
  maxSessionDuration,
  sessionTagKeys,
  TargetTemplateError,
  type Template,
} from '../../scripts/target-template/build.ts';

const ISSUER = 'https://hallpass.example.com/prod';
const PROVIDER = 'hallpass.example.com/prod';
const VEND_ROLE = 'arn:aws:iam::999999999999:role/hallpass-prod-vend';
const FEDERATED = { Federated: { 'Fn::GetAtt': ['HallpassOidcProvider', 'Arn'] } };
const BASE_KEYS = ['hallpass:principal', 'hallpass:request-id', 'hallpass:session-id'];

const entitlement = (id: string, roleArn: string, extra: Record<string, unknown> = {}) => ({
  id,
  roleArn,
  requesterGroups: ['engineers'],
  maxDurationSeconds: 3600,
  defaultDurationSeconds: 900,
  approval: { required: false },
  ...extra,
});

/** Account 333...: a role of both modes, a web-identity role of two entitlements, a short one. */
const CATALOG = {
  entitlements: [
    entitlement('payments-read', 'arn:aws:iam::333333333333:role/teams/payments/hallpass-read', {
      issuance: 'web-identity',
      maxDurationSeconds: 28800,
      sessionTags: { team: 'payments' },
      transitiveTagKeys: ['team'],
    }),
    entitlement('payments-read-partner', 'arn:aws:iam::333333333333:role/teams/payments/hallpass-read', {
      externalId: 'partner-ext-1234',
    }),
    entitlement('prod-admin', 'arn:aws:iam::333333333333:role/hallpass-admin', {
      issuance: 'web-identity',
      maxDurationSeconds: 43200,
      breakGlass: { groups: ['oncall'], maxDurationSeconds: 3600 },
    }),
    entitlement('prod-admin-review', 'arn:aws:iam::333333333333:role/hallpass-admin', {
      issuance: 'web-identity',
      maxDurationSeconds: 7200,
    }),
    entitlement('deploy', 'arn:aws:iam::333333333333:role/hallpass-deploy', { maxDurationSeconds: 1800 }),
    entitlement('elsewhere', 'arn:aws:iam::444444444444:role/hallpass-elsewhere', {
      issuance: 'web-identity',
    }),
  ],
};

let dir: string;
let catalogFile: string;

/** `npx tsx scripts/target-template.ts ...` with only the env given (no ambient HALLPASS_ or AWS_). */
async function targetTemplate(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(HALLPASS_|AWS_)/.test(key)),
  );
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'npx',
      ['tsx', 'scripts/target-template.ts', ...args],
      { env: { ...clean, HALLPASS_CATALOG: catalogFile, ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let template: Template;
const role = (id: string) => template.Resources[id]?.Properties;
const trust = (id: string) => role(id)?.AssumeRolePolicyDocument;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-target-template-'));
  catalogFile = join(dir, 'catalog.yaml');
  writeFileSync(catalogFile, JSON.stringify(CATALOG));
  const result = await targetTemplate(['--account', '333333333333', '--vend-role-arn', VEND_ROLE], {
    HALLPASS_WEB_IDENTITY_ISSUER: ISSUER,
  });
  expect(result.code, result.stderr).toBe(0);
  template = JSON.parse(result.stdout) as Template;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every hallpass session carries its session id and principal tags; the roles refuse any other.
const HALLPASS_TAGS = {
  'aws:RequestTag/hallpass:session-id': '?*',
  'aws:RequestTag/hallpass:principal': '?*',
};

// The revoker may make canary sessions of every role (the revocation follow-up check), tagged so.
const CANARY_TRUST = {
  Sid: 'HallpassRevocationCanary',
  Effect: 'Allow',
  Principal: { AWS: { 'Fn::GetAtt': ['HallpassRevoker', 'Arn'] } },
  Action: ['sts:AssumeRole', 'sts:TagSession'],
  Condition: {
    StringEquals: { 'aws:RequestTag/hallpass:principal': 'hallpass:revocation-canary' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': ['hallpass:principal', 'hallpass:session-id'] },
    Null: { 'sts:TransitiveTagKeys': 'true', 'sts:SourceIdentity': 'true' },
  },
};

describe('npm run target-template', () => {
  it('writes a CloudFormation template: the OIDC provider and one role per catalog role in the account', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(template.Description).toContain('Attach each role');
    expect(Object.fromEntries(Object.entries(template.Resources).map(([id, r]) => [id, r.Type]))).toEqual({
      HallpassOidcProvider: 'AWS::IAM::OIDCProvider',
      RoleHallpassAdmin: 'AWS::IAM::Role',
      RoleHallpassDeploy: 'AWS::IAM::Role',
      RoleHallpassRead: 'AWS::IAM::Role',
      HallpassRevoker: 'AWS::IAM::Role',
      HallpassRevocationProbe: 'AWS::IAM::Role',
      HallpassRevocationCanaryGuard: 'AWS::IAM::ManagedPolicy',
    });
  });

  it("declares hallpass's issuer as the OIDC provider, for its audience, with no thumbprint", () => {
    expect(template.Resources.HallpassOidcProvider?.Properties).toEqual({
      Url: ISSUER,
      ClientIdList: ['sts.amazonaws.com'],
    });
  });

  it('names each role and its path from the ARN, with no permission policy', () => {
    expect(role('RoleHallpassRead')).toMatchObject({ RoleName: 'hallpass-read', Path: '/teams/payments/' });
    expect(role('RoleHallpassAdmin')).toMatchObject({ RoleName: 'hallpass-admin', Path: '/' });
    const { HallpassRevoker: _revoker, ...targets } = template.Resources;
    for (const resource of Object.values(targets)) {
      expect(resource.Properties).not.toHaveProperty('Policies');
      expect(resource.Properties).not.toHaveProperty('ManagedPolicyArns');
    }
  });

  it("sets MaxSessionDuration to the longest of the role's entitlements, at least one hour", () => {
    expect(role('RoleHallpassRead')?.MaxSessionDuration).toBe(28800);
    expect(role('RoleHallpassAdmin')?.MaxSessionDuration).toBe(43200);
    expect(role('RoleHallpassDeploy')?.MaxSessionDuration).toBe(3600);
  });

  it('trusts the vend role for an assume-role role: AssumeRole with a SourceIdentity, its tag keys only', () => {
    expect(trust('RoleHallpassDeploy')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'HallpassAssumeRole',
          Effect: 'Allow',
          Principal: { AWS: VEND_ROLE },
          Action: 'sts:AssumeRole',
          Condition: { StringLike: { 'sts:SourceIdentity': '*', ...HALLPASS_TAGS } },
        },
        {
          Sid: 'HallpassTagSession',
          Effect: 'Allow',
          Principal: { AWS: VEND_ROLE },
          Action: 'sts:TagSession',
          Condition: {
            'ForAllValues:StringEquals': { 'aws:TagKeys': BASE_KEYS },
            Null: { 'sts:TransitiveTagKeys': 'true' },
          },
        },
        {
          Sid: 'HallpassSetSourceIdentity',
          Effect: 'Allow',
          Principal: { AWS: VEND_ROLE },
          Action: 'sts:SetSourceIdentity',
          Condition: { StringLike: { 'sts:SourceIdentity': '*' } },
        },
        CANARY_TRUST,
      ],
    });
  });

  it("trusts the provider's tokens of the role's entitlements only, one sub pattern each", () => {
    expect(trust('RoleHallpassAdmin')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'HallpassWebIdentity',
          Effect: 'Allow',
          Principal: FEDERATED,
          Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Condition: {
            StringEquals: { [`${PROVIDER}:aud`]: 'sts.amazonaws.com' },
            StringLike: {
              [`${PROVIDER}:sub`]: ['prod-admin:*', 'prod-admin-review:*'],
              'sts:SourceIdentity': '*',
              ...HALLPASS_TAGS,
            },
            'ForAllValues:StringEquals': {
              'aws:TagKeys': ['hallpass:break-glass', ...BASE_KEYS],
            },
            Null: { 'sts:TransitiveTagKeys': 'true' },
          },
        },
        CANARY_TRUST,
      ],
    });
  });

  it('gives a role of both modes both trusts, the ExternalId on its AssumeRole', () => {
    const statements = trust('RoleHallpassRead').Statement;
    expect(statements.map((s: { Sid: string }) => s.Sid)).toEqual([
      'HallpassAssumeRole',
      'HallpassTagSession',
      'HallpassSetSourceIdentity',
      'HallpassWebIdentity',
      'HallpassRevocationCanary',
    ]);
    expect(statements[0].Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'partner-ext-1234' },
      StringLike: { 'sts:SourceIdentity': '*', ...HALLPASS_TAGS },
    });
    // Each mode's tag limit is its own entitlements': the web one's team tag is not the vend role's.
    expect(statements[1].Condition['ForAllValues:StringEquals']['aws:TagKeys']).toEqual(BASE_KEYS);
    expect(statements[3].Condition).toEqual({
      StringEquals: { [`${PROVIDER}:aud`]: 'sts.amazonaws.com' },
      StringLike: { [`${PROVIDER}:sub`]: 'payments-read:*', 'sts:SourceIdentity': '*', ...HALLPASS_TAGS },
      'ForAllValues:StringEquals': {
        'aws:TagKeys': [...BASE_KEYS, 'team'],
        'sts:TransitiveTagKeys': ['team'],
      },
    });
  });

  it('builds the vend role from --hallpass-account and --stage as serverless.yml names it', async () => {
    const serverless = readFileSync('serverless.yml', 'utf8');
    expect(serverless).toMatch(/^service: hallpass$/m);
    expect(serverless).toMatch(
      /VendFunctionRole:\n(?:\s+#.*\n|\s+\w+:.*\n)*?\s+RoleName: \$\{self:service\}-\$\{sls:stage\}-vend\n/,
    );
    const result = await targetTemplate(
      ['--account', '333333333333', '--hallpass-account', '123456789012', '--stage', 'staging'],
      { HALLPASS_WEB_IDENTITY_ISSUER: ISSUER, HALLPASS_WEB_IDENTITY_AUDIENCE: 'hallpass-sts' },
    );
    expect(result.code, result.stderr).toBe(0);
    const built = JSON.parse(result.stdout) as Template;
    const deploy = built.Resources.RoleHallpassDeploy?.Properties.AssumeRolePolicyDocument;
    expect(deploy.Statement[0].Principal).toEqual({
      AWS: 'arn:aws:iam::123456789012:role/hallpass-staging-vend',
    });
    expect(built.Resources.HallpassOidcProvider?.Properties.ClientIdList).toEqual(['hallpass-sts']);
  });

  it('writes to --out, and takes the issuer and audience from flags', async () => {
    const out = join(dir, 'out.json');
    const result = await targetTemplate([
      '--account',
      '444444444444',
      '--out',
      out,
      '--issuer',
      'https://id.example.org/',
      '--audience',
      'aud-1',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const built = JSON.parse(readFileSync(out, 'utf8')) as Template;
    expect(built.Resources.HallpassOidcProvider?.Properties).toEqual({
      Url: 'https://id.example.org',
      ClientIdList: ['aud-1'],
    });
    const condition =
      built.Resources.RoleHallpassElsewhere?.Properties.AssumeRolePolicyDocument.Statement[0].Condition;
    expect(condition.StringEquals).toEqual({ 'id.example.org:aud': 'aud-1' });
    expect(condition.StringLike['id.example.org:sub']).toBe('elsewhere:*');
  });

  it.each([
    [['--account', '555555555555', '--vend-role-arn', VEND_ROLE], 'no role in account 555555555555'],
    [['--vend-role-arn', VEND_ROLE], 'name one with --account'],
    [['--account', '333333333333'], 'the vend role is not known'],
    [['--account', '444444444444', '--issuer', 'http://id.example.org'], 'must be an https URL'],
    [['--account', '333333333333', '--hallpass-account', '123456789012'], '--stage go together'],
  ])('refuses %j with a clear message and a non-zero exit', async (args, message) => {
    const result = await targetTemplate(args, { HALLPASS_WEB_IDENTITY_ISSUER: ISSUER });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it('refuses web-identity roles without an issuer', async () => {
    const result = await targetTemplate(['--account', '444444444444']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'target-template: web-identity entitlements (elsewhere) use roles in 444444444444, but no issuer is given: set HALLPASS_WEB_IDENTITY_ISSUER or --issuer\n',
    );
  });
});

describe('buildTargetTemplate', () => {
  const catalog = parseCatalog(CATALOG, { maxSessionSeconds: 3600 });

  it('needs no provider and no issuer for an account of assume-role roles only', () => {
    const only = parseCatalog(
      { entitlements: [entitlement('a', 'arn:aws:iam::111111111111:role/a')] },
      { maxSessionSeconds: 3600 },
    );
    const built = buildTargetTemplate(only, { audience: 'sts.amazonaws.com', vendRoleArn: VEND_ROLE });
    expect(Object.keys(built.Resources)).toEqual([
      'RoleA',
      'HallpassRevoker',
      'HallpassRevocationProbe',
      'HallpassRevocationCanaryGuard',
    ]);
  });

  it('adds a revoker role that hallpass-<stage>-revoke alone may assume, and that may only read and write the revocation policy of these roles', () => {
    const built = buildTargetTemplate(parseCatalog(CATALOG, { maxSessionSeconds: 3600 }), {
      account: '333333333333',
      issuer: ISSUER,
      audience: 'sts.amazonaws.com',
      vendRoleArn: VEND_ROLE,
    });
    const revoker = built.Resources.HallpassRevoker?.Properties;
    expect(revoker?.RoleName).toBe('hallpass-prod-revoker');
    expect(revoker?.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: 'HallpassRevokes',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::999999999999:role/hallpass-prod-revoke' },
        Action: 'sts:AssumeRole',
      },
    ]);
    expect(revoker?.Policies).toHaveLength(1);
    expect(revoker?.Policies[0].PolicyName).toBe('hallpass-revocations');
    const statements = revoker?.Policies[0].PolicyDocument.Statement;
    expect(statements).toHaveLength(2);
    expect(statements[0].Effect).toBe('Allow');
    expect(statements[0].Action).toEqual(['iam:GetRolePolicy', 'iam:PutRolePolicy']);
    // Exactly the catalog's roles of this account, no wildcard; by ARN, since their trust names the
    // revoker (a Fn::GetAtt each way would be a cycle CloudFormation refuses).
    const targets = Object.values(built.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Role' && r.Properties.Path)
      .map((r) => `arn:aws:iam::333333333333:role${r.Properties.Path}${r.Properties.RoleName}`)
      .sort();
    expect(statements[0].Resource).toEqual(targets);
    expect(JSON.stringify(revoker)).not.toContain('Fn::GetAtt');
    // The canaries of the follow-up check: of these roles only, tagged as canaries.
    expect(statements[1]).toEqual({
      Sid: 'CanariesOfHallpassRoles',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Resource: targets,
      Condition: { StringEquals: { 'aws:RequestTag/hallpass:principal': 'hallpass:revocation-canary' } },
    });
    expect(built.Outputs.RevokerRoleArn?.Value).toEqual({ 'Fn::GetAtt': ['HallpassRevoker', 'Arn'] });
  });

  describe('the revocation follow-up check (issue 14)', () => {
    const built = buildTargetTemplate(parseCatalog(CATALOG, { maxSessionSeconds: 3600 }), {
      account: '333333333333',
      issuer: ISSUER,
      audience: 'sts.amazonaws.com',
      vendRoleArn: VEND_ROLE,
    });
    const targetIds = Object.keys(built.Resources).filter((id) => id.startsWith('Role'));
    const canary = { StringEquals: { 'aws:PrincipalTag/hallpass:principal': 'hallpass:revocation-canary' } };

    it("lets every target role's revoker make canaries of it, tagged as canaries, nothing transitive", () => {
      for (const id of targetIds) {
        const statements = built.Resources[id]?.Properties.AssumeRolePolicyDocument.Statement;
        expect(statements.at(-1), id).toEqual(CANARY_TRUST);
      }
    });

    it("makes a probe role, named after the revoker as the revoke functions derive it, that trusts only the account's canaries and may do nothing", () => {
      const probe = built.Resources.HallpassRevocationProbe?.Properties;
      expect(probe?.RoleName).toBe(probeRoleName('hallpass-prod-revoker'));
      expect(probe?.RoleName).toBe('hallpass-prod-revoker-probe');
      expect(probe).not.toHaveProperty('Policies');
      expect(probe).not.toHaveProperty('ManagedPolicyArns');
      expect(probe?.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Sid: 'HallpassCanaries',
          Effect: 'Allow',
          // The account, not each role: constant in size however many roles (a trust has 2,048
          // characters by default); the guard is what lets the roles' canaries assume it.
          Principal: { AWS: 'arn:aws:iam::333333333333:root' },
          Action: 'sts:AssumeRole',
          Condition: canary,
        },
      ]);
    });

    it('keeps canaries, whatever session policy they carry, to assuming the probe role, with a managed policy the revoker cannot change', () => {
      const guard = built.Resources.HallpassRevocationCanaryGuard?.Properties;
      expect(guard?.Roles).toEqual(targetIds.map((id) => ({ Ref: id })));
      const probe = { 'Fn::GetAtt': ['HallpassRevocationProbe', 'Arn'] };
      expect(guard?.PolicyDocument.Statement).toEqual([
        {
          Sid: 'CanariesAssumeTheProbe',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: probe,
          Condition: canary,
        },
        {
          Sid: 'CanariesDoNothingElse',
          Effect: 'Deny',
          NotAction: 'sts:AssumeRole',
          Resource: '*',
          Condition: canary,
        },
        {
          Sid: 'CanariesAssumeNoOtherRole',
          Effect: 'Deny',
          Action: 'sts:AssumeRole',
          NotResource: probe,
          Condition: canary,
        },
      ]);
      // The revoker may write inline policies only (no managed policy action).
      const revokerActions =
        built.Resources.HallpassRevoker?.Properties.Policies[0].PolicyDocument.Statement.flatMap(
          (s: { Action: string[] }) => s.Action,
        );
      expect(revokerActions.filter((a: string) => a.startsWith('iam:'))).toEqual([
        'iam:GetRolePolicy',
        'iam:PutRolePolicy',
      ]);
    });

    it('adds none of it without a revoker', () => {
      const only = parseCatalog(
        { entitlements: [entitlement('a', 'arn:aws:iam::111111111111:role/a')] },
        { maxSessionSeconds: 3600 },
      );
      const none = buildTargetTemplate(only, {
        audience: 'sts.amazonaws.com',
        vendRoleArn: 'arn:aws:iam::999999999999:role/custom-vender',
      });
      expect(Object.keys(none.Resources)).toEqual(['RoleA']);
      expect(JSON.stringify(none)).not.toContain('Canary');
    });
  });

  it('makes no revoker when the revoke role cannot be known', () => {
    const only = parseCatalog(
      { entitlements: [entitlement('a', 'arn:aws:iam::111111111111:role/a')] },
      { maxSessionSeconds: 3600 },
    );
    const vendRoleArn = 'arn:aws:iam::999999999999:role/custom-vender';
    const built = buildTargetTemplate(only, { audience: 'sts.amazonaws.com', vendRoleArn });
    expect(Object.keys(built.Resources)).toEqual(['RoleA']);
    const given = buildTargetTemplate(only, {
      audience: 'sts.amazonaws.com',
      vendRoleArn,
      revokeRoleArn: 'arn:aws:iam::999999999999:role/custom-revoke',
    });
    expect(given.Resources.HallpassRevoker?.Properties.RoleName).toBe('custom-revoker');
  });

  it("names the revoker as serverless.yml names the revoke functions' role", () => {
    const yml = readFileSync('serverless.yml', 'utf8');
    expect(yml).toContain('RoleName: ${self:service}-${sls:stage}-revoke\n');
  });

  it('gives each ExternalId its own AssumeRole statement', () => {
    const two = parseCatalog(
      {
        entitlements: [
          entitlement('a', 'arn:aws:iam::111111111111:role/shared', { externalId: 'ext-aaaa' }),
          entitlement('b', 'arn:aws:iam::111111111111:role/shared', { externalId: 'ext-bbbb' }),
        ],
      },
      { maxSessionSeconds: 3600 },
    );
    const built = buildTargetTemplate(two, { audience: 'sts.amazonaws.com', vendRoleArn: VEND_ROLE });
    const statements = built.Resources.RoleShared?.Properties.AssumeRolePolicyDocument.Statement;
    expect(
      statements.slice(0, 2).map((s: { Sid: string; Condition: unknown }) => [s.Sid, s.Condition]),
    ).toEqual([
      [
        'HallpassAssumeRole1',
        {
          StringEquals: { 'sts:ExternalId': 'ext-aaaa' },
          StringLike: { 'sts:SourceIdentity': '*', ...HALLPASS_TAGS },
        },
      ],
      [
        'HallpassAssumeRole2',
        {
          StringEquals: { 'sts:ExternalId': 'ext-bbbb' },
          StringLike: { 'sts:SourceIdentity': '*', ...HALLPASS_TAGS },
        },
      ],
    ]);
  });

  it('lists thumbprints only when given', () => {
    const built = buildTargetTemplate(catalog, {
      account: '444444444444',
      issuer: ISSUER,
      audience: 'sts.amazonaws.com',
      thumbprints: ['a'.repeat(40)],
    });
    expect(built.Resources.HallpassOidcProvider?.Properties.ThumbprintList).toEqual(['a'.repeat(40)]);
  });

  it('counts break glass in the longest session and its tag', () => {
    const admin = catalog.entitlements.find((e) => e.id === 'prod-admin');
    if (!admin) throw new Error('the test catalog has prod-admin');
    const breakGlass = { groups: ['oncall'], maxDurationSeconds: 14400 };
    expect(maxSessionDuration([{ ...admin, maxDurationSeconds: 7200, breakGlass }])).toBe(14400);
    expect(maxSessionDuration([{ ...admin, maxDurationSeconds: 900, breakGlass: undefined }])).toBe(3600);
    expect(sessionTagKeys([admin])).toContain('hallpass:break-glass');
  });

  it('refuses an assume-role role without a vend role, and a vend role that is not a role ARN', () => {
    expect(() =>
      buildTargetTemplate(catalog, { account: '333333333333', issuer: ISSUER, audience: 'x' }),
    ).toThrow(TargetTemplateError);
    expect(() =>
      buildTargetTemplate(catalog, {
        account: '333333333333',
        issuer: ISSUER,
        audience: 'x',
        vendRoleArn: 'arn:aws:iam::999999999999:user/bob',
      }),
    ).toThrow('is not an IAM role ARN');
  });

  it('reads the example catalog', () => {
    const example = parseCatalog(parse(readFileSync('catalog/example.yaml', 'utf8')), {
      maxSessionSeconds: 3600,
    });
    const built = buildTargetTemplate(example, {
      account: '222222222222',
      audience: 'x',
      vendRoleArn: VEND_ROLE,
    });
    const tags = built.Resources.RoleHallpassProdAdmin?.Properties.AssumeRolePolicyDocument.Statement[1];
    expect(tags.Condition['ForAllValues:StringEquals']['aws:TagKeys']).toEqual([
      'hallpass:break-glass',
      ...BASE_KEYS,
    ]);
  });
});
