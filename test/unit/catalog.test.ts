import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type Catalog,
  type Entitlement,
  isAuditor,
  mayApprove,
  mayBreakGlass,
  mayRequest,
  parseCatalog,
} from '../../lib/core/catalog.ts';
import { ConfigError } from '../../lib/errors.ts';
import { thrown } from '../support/errors.ts';
import {
  CATALOG_OPTIONS,
  catalogDocument,
  principal,
  prodDocument,
  sandboxDocument,
  testCatalog,
} from './fixtures.ts';

const EXAMPLE = new URL('../../catalog/example.yaml', import.meta.url);
const SANDBOX = 'entitlements[0] (sandbox-readonly)';
const PROD = 'entitlements[1] (prod-admin)';

/** The ConfigError parseCatalog throws for `document` (fails the test if it throws none). */
const refusal = (document: unknown): ConfigError =>
  thrown(ConfigError, () => parseCatalog(document, CATALOG_OPTIONS));

const withSandbox = (overrides: Record<string, unknown>) =>
  catalogDocument(sandboxDocument(overrides), prodDocument());
const withProd = (overrides: Record<string, unknown>) =>
  catalogDocument(sandboxDocument(), prodDocument(overrides));

function entitlementOf(catalog: Catalog, id: string): Entitlement {
  const entitlement = catalog.entitlements.find((e) => e.id === id);
  if (!entitlement) throw new Error(`no entitlement ${id}`);
  return entitlement;
}

describe('parseCatalog', () => {
  it('loads the example catalog', () => {
    const document = parse(readFileSync(EXAMPLE, 'utf8'));

    const catalog = parseCatalog(document, CATALOG_OPTIONS);

    expect(catalog.entitlements.map((e) => [e.id, e.issuance])).toEqual([
      ['sandbox-readonly', 'assume-role'],
      ['prod-admin', 'assume-role'],
      ['sandbox-poweruser', 'web-identity'],
    ]);
  });

  it('fills in the approval defaults', () => {
    const document = withProd({ approval: { required: true, approverGroups: ['approvers'] } });

    const approval = entitlementOf(parseCatalog(document, CATALOG_OPTIONS), 'prod-admin').approval;

    expect(approval).toEqual({
      required: true,
      approverGroups: ['approvers'],
      minApprovals: 1,
      validForSeconds: 3600,
      maxUses: 1,
      decisionTimeoutSeconds: 86400,
    });
  });

  it('refuses a bad role ARN, naming the field', () => {
    const error = refusal(withSandbox({ roleArn: 'arn:aws:iam::1111:role/x' }));

    expect(error.message).toContain(`${SANDBOX}.roleArn: must be an IAM role ARN`);
  });

  it('refuses an unknown top-level field, naming it', () => {
    const error = refusal({ ...catalogDocument(sandboxDocument()), owners: ['x'] });

    expect(error.message).toMatch(/invalid catalog: \(root\): .*"owners"/);
  });

  it('refuses an unknown entitlement field, naming the entitlement and the field', () => {
    const error = refusal(withSandbox({ roleName: 'reader' }));

    expect(error.message).toMatch(new RegExp(`${escapeRegExp(SANDBOX)}: .*"roleName"`));
  });

  it('refuses a duplicate id', () => {
    const error = refusal(catalogDocument(sandboxDocument(), sandboxDocument()));

    expect(error.message).toContain('entitlements[1] (sandbox-readonly).id: duplicate id');
  });

  it('refuses a default duration over the maximum', () => {
    const error = refusal(withSandbox({ maxDurationSeconds: 1800, defaultDurationSeconds: 1801 }));

    expect(error.message).toContain(`${SANDBOX}.defaultDurationSeconds: must not exceed maxDurationSeconds`);
  });

  it('refuses a maximum over the 3600 seconds role chaining allows', () => {
    const error = refusal(withSandbox({ maxDurationSeconds: 3601 }));

    expect(error.message).toContain(`${SANDBOX}.maxDurationSeconds: 3601 exceeds 3600`);
  });

  it('accepts a maximum of exactly 3600 seconds', () => {
    const catalog = parseCatalog(withSandbox({ maxDurationSeconds: 3600 }), CATALOG_OPTIONS);

    expect(entitlementOf(catalog, 'sandbox-readonly').maxDurationSeconds).toBe(3600);
  });

  it('refuses a break-glass maximum over 3600 seconds', () => {
    const error = refusal(withProd({ breakGlass: { groups: ['oncall'], maxDurationSeconds: 7200 } }));

    expect(error.message).toContain(`${PROD}.breakGlass.maxDurationSeconds: 7200 exceeds 3600`);
  });

  it('issues by assume-role unless the entitlement says otherwise', () => {
    const catalog = parseCatalog(withSandbox({}), CATALOG_OPTIONS);

    expect(entitlementOf(catalog, 'sandbox-readonly').issuance).toBe('assume-role');
  });

  it('names web-identity issuance when an assume-role entitlement asks for more than an hour', () => {
    const error = refusal(withSandbox({ issuance: 'assume-role', maxDurationSeconds: 28800 }));

    expect(error.message).toContain(`${SANDBOX}.maxDurationSeconds: 28800 exceeds 3600`);
    expect(error.message).toContain('issuance: web-identity');
  });

  it('accepts a web-identity entitlement of 12 hours, break glass included', () => {
    const catalog = parseCatalog(
      withProd({
        issuance: 'web-identity',
        maxDurationSeconds: 43200,
        breakGlass: { groups: ['oncall'], maxDurationSeconds: 7200 },
      }),
      CATALOG_OPTIONS,
    );

    expect(entitlementOf(catalog, 'prod-admin')).toMatchObject({
      issuance: 'web-identity',
      maxDurationSeconds: 43200,
      breakGlass: { maxDurationSeconds: 7200 },
    });
  });

  it('refuses a web-identity entitlement over 12 hours, naming the field', () => {
    const error = refusal(withSandbox({ issuance: 'web-identity', maxDurationSeconds: 43201 }));

    expect(error.message).toContain(`${SANDBOX}.maxDurationSeconds: `);
  });

  it('refuses an externalId on a web-identity entitlement, naming the field', () => {
    const error = refusal(withSandbox({ issuance: 'web-identity', externalId: 'partner-42' }));

    expect(error.message).toContain(`${SANDBOX}.externalId: AssumeRoleWithWebIdentity takes no ExternalId`);
  });

  it('refuses an issuance mode it does not know, naming the field', () => {
    const error = refusal(withSandbox({ issuance: 'saml' }));

    expect(error.message).toContain(`${SANDBOX}.issuance: `);
  });

  it('caps assume-role at a lower HALLPASS_MAX_SESSION_SECONDS, but not web-identity', () => {
    const options = { maxSessionSeconds: 1800 };
    const prod = prodDocument({ maxDurationSeconds: 1800 });
    expect(() =>
      parseCatalog(catalogDocument(sandboxDocument({ maxDurationSeconds: 3600 }), prod), options),
    ).toThrow(/maxDurationSeconds: 3600 exceeds 1800/);

    const catalog = parseCatalog(
      catalogDocument(sandboxDocument({ issuance: 'web-identity', maxDurationSeconds: 3600 }), prod),
      options,
    );
    expect(entitlementOf(catalog, 'sandbox-readonly').maxDurationSeconds).toBe(3600);
  });

  it("refuses a tag key with hallpass's reserved prefix", () => {
    const error = refusal(withSandbox({ sessionTags: { 'hallpass:principal': 'mallory' } }));

    expect(error.message).toContain(`${SANDBOX}.sessionTags.hallpass:principal: `);
  });

  it("refuses hallpass's reserved prefix in any case", () => {
    const error = refusal(withSandbox({ sessionTags: { 'HallPass:Session-Id': 'x' } }));

    expect(error.message).toContain(`${SANDBOX}.sessionTags.HallPass:Session-Id: `);
  });

  it('refuses a tag key starting with aws:', () => {
    const error = refusal(withSandbox({ sessionTags: { 'aws:team': 'x' } }));

    expect(error.message).toContain(`${SANDBOX}.sessionTags.aws:team: `);
  });

  it('refuses an unknown template variable in a tag', () => {
    const error = refusal(withSandbox({ sessionTags: { owner: '${principal.email}' } }));

    expect(error.message).toContain(
      `${SANDBOX}.sessionTags.owner: unknown template variable \${principal.email}`,
    );
  });

  it('refuses an unknown template variable in the policy', () => {
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '${foo.bar}' }] };

    const error = refusal(withSandbox({ sessionPolicy: policy }));

    expect(error.message).toContain(`${SANDBOX}.sessionPolicy: unknown template variable \${foo.bar}`);
  });

  it("accepts an AWS managed policy ARN beside the role account's own", () => {
    const arns = ['arn:aws:iam::aws:policy/PowerUserAccess', 'arn:aws:iam::111111111111:policy/boundary'];
    const catalog = parseCatalog(withSandbox({ policyArns: arns }), CATALOG_OPTIONS);

    expect(entitlementOf(catalog, 'sandbox-readonly').policyArns).toEqual(arns);
  });

  it('accepts IAM policy variables in the policy', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${aws:username}/*' }],
    };

    const catalog = parseCatalog(withSandbox({ sessionPolicy: policy }), CATALOG_OPTIONS);

    expect(entitlementOf(catalog, 'sandbox-readonly').sessionPolicy).toEqual(policy);
  });

  it('refuses a policy without a Statement', () => {
    const error = refusal(withSandbox({ sessionPolicy: { Version: '2012-10-17' } }));

    expect(error.message).toContain(`${SANDBOX}.sessionPolicy: a policy document needs a Statement`);
  });

  it('refuses a policy over 2048 characters', () => {
    const policy = { Version: '2012-10-17', Statement: [{ Sid: 'x'.repeat(2048) }] };

    const error = refusal(withSandbox({ sessionPolicy: policy }));

    expect(error.message).toContain(`${SANDBOX}.sessionPolicy: is `);
  });

  it('refuses a policy ARN in another account', () => {
    const error = refusal(withSandbox({ policyArns: ['arn:aws:iam::999999999999:policy/boundary'] }));

    expect(error.message).toContain(`${SANDBOX}.policyArns: `);
  });

  it('refuses a transitive tag key that is not among the tags', () => {
    const error = refusal(withSandbox({ transitiveTagKeys: ['team'] }));

    expect(error.message).toContain(`${SANDBOX}.transitiveTagKeys: transitive tag key 'team'`);
  });

  it("accepts hallpass's own tag keys as transitive keys", () => {
    const document = withSandbox({ transitiveTagKeys: ['hallpass:principal', 'hallpass:session-id'] });

    const catalog = parseCatalog(document, CATALOG_OPTIONS);

    expect(entitlementOf(catalog, 'sandbox-readonly').transitiveTagKeys).toHaveLength(2);
  });

  it('refuses approval.required true without approverGroups', () => {
    const error = refusal(withProd({ approval: { required: true } }));

    expect(error.message).toContain(`${PROD}.approval.approverGroups: `);
  });

  it('refuses a bad external id', () => {
    const error = refusal(withSandbox({ externalId: 'x' }));

    expect(error.message).toContain(`${SANDBOX}.externalId: `);
  });

  it('refuses a catalog without entitlements', () => {
    const error = refusal({ auditorGroups: ['auditors'], entitlements: [] });

    expect(error.message).toMatch(/^invalid catalog: entitlements: /);
  });
});

describe('mayRequest', () => {
  it('lets a member of a requester group request', () => {
    const entitlement = entitlementOf(testCatalog(), 'sandbox-readonly');

    expect(mayRequest(entitlement, principal({ groups: ['engineers'] }))).toBe(true);
  });

  it('refuses someone in no requester group', () => {
    const entitlement = entitlementOf(testCatalog(), 'sandbox-readonly');

    expect(mayRequest(entitlement, principal({ groups: ['contractors'] }))).toBe(false);
  });
});

describe('requesterPrincipals: workload identities', () => {
  const CI = 'github:repo:org/app:ref:refs/heads/main';
  const granted = () =>
    entitlementOf(
      parseCatalog(withSandbox({ requesterPrincipals: [CI] }), CATALOG_OPTIONS),
      'sandbox-readonly',
    );

  it('lets exactly the listed principal request', () => {
    expect(mayRequest(granted(), principal({ sub: CI, groups: [] }))).toBe(true);
  });

  it.each([
    ['another ref', 'github:repo:org/app:ref:refs/heads/dev'],
    ['a principal the listed one is a prefix of', `${CI}x`],
    ['the same sub without its issuer', 'repo:org/app:ref:refs/heads/main'],
    ['the same sub of another issuer', 'gitlab:repo:org/app:ref:refs/heads/main'],
  ])('refuses %s', (_name, sub) => {
    expect(mayRequest(granted(), principal({ sub, groups: [] }))).toBe(false);
  });

  it('is empty unless set', () => {
    expect(entitlementOf(testCatalog(), 'sandbox-readonly').requesterPrincipals).toEqual([]);
  });

  it.each([
    // (A principal whose first part looks like an issuer name passes here; lib/deps.ts refuses one
    // whose issuer is not configured, at the cold start.)
    ['a principal without an issuer', 'alice'],
    ['a wildcard', 'github:repo:org/*'],
    ['a question mark', 'github:repo:org/app?'],
    ['a space', 'github:repo:org/app ref'],
    ['an issuer name in capitals', 'GitHub:repo:org/app'],
    ['an empty principal', 'github:'],
  ])('refuses %s, naming the field', (_name, value) => {
    expect(refusal(withSandbox({ requesterPrincipals: [value] })).message).toMatch(
      new RegExp(
        `^invalid catalog: ${SANDBOX.replace(/[[\]()]/g, '\\$&')}\\.requesterPrincipals\\[0\\]: must be '<issuer name>:<principal>'`,
      ),
    );
  });
});

describe('mayApprove', () => {
  it('lets a member of an approver group approve', () => {
    const entitlement = entitlementOf(testCatalog(), 'prod-admin');

    expect(mayApprove(entitlement, principal({ groups: ['approvers'] }))).toBe(true);
  });

  it('refuses a requester who is not an approver', () => {
    const entitlement = entitlementOf(testCatalog(), 'prod-admin');

    expect(mayApprove(entitlement, principal({ groups: ['engineers'] }))).toBe(false);
  });

  it('lets nobody approve an entitlement that needs no approval', () => {
    const entitlement = entitlementOf(testCatalog(), 'sandbox-readonly');

    expect(mayApprove(entitlement, principal({ groups: ['approvers', 'engineers'] }))).toBe(false);
  });
});

describe('mayBreakGlass', () => {
  it('lets a member of a break-glass group break glass', () => {
    const entitlement = entitlementOf(testCatalog(), 'prod-admin');

    expect(mayBreakGlass(entitlement, principal({ groups: ['oncall'] }))).toBe(true);
  });

  it('refuses a requester who is not in a break-glass group', () => {
    const entitlement = entitlementOf(testCatalog(), 'prod-admin');

    expect(mayBreakGlass(entitlement, principal({ groups: ['engineers', 'approvers'] }))).toBe(false);
  });

  it('lets nobody break glass on an entitlement without break glass', () => {
    const entitlement = entitlementOf(testCatalog(), 'sandbox-readonly');

    expect(mayBreakGlass(entitlement, principal({ groups: ['oncall'] }))).toBe(false);
  });
});

describe('isAuditor', () => {
  it('recognises a member of an auditor group', () => {
    expect(isAuditor(testCatalog(), principal({ groups: ['auditors'] }))).toBe(true);
  });

  it('refuses someone in no auditor group', () => {
    expect(isAuditor(testCatalog(), principal({ groups: ['engineers', 'approvers'] }))).toBe(false);
  });

  it('makes nobody an auditor when the catalog names no auditor group', () => {
    const catalog = parseCatalog({ entitlements: [sandboxDocument()] }, CATALOG_OPTIONS);

    expect(isAuditor(catalog, principal({ groups: ['auditors'] }))).toBe(false);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
