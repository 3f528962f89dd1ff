/**
 * The CloudFormation template `npm run package` builds (offline, no AWS account): routes, tables
 * with their protections, least-privilege roles, and the key that signs web-identity tokens.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { lockKey } from '../../lib/adapters/iam-policy-lock.ts';
import { jwksItemId } from '../../lib/adapters/jwks-store.ts';
import { newRequestId } from '../../lib/core/ids.ts';
import { ROUTE_NAMES, ROUTES } from '../../lib/http/routes.ts';

interface Resource {
  Type: string;
  DeletionPolicy?: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are asserted path by path.
  Properties: any;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: conditions are asserted key by key.
  Condition?: any;
}

let dir: string;
let resources: Record<string, Resource>;
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation conditions are asserted by evaluation.
let conditions: Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: stack outputs are asserted path by path.
let outputs: Record<string, any>;

/** The issuer every packaging below is given: the prod stage has no default one. */
const ISSUER = 'https://hallpass.example.com';

/**
 * The environment of a packaging: the catalog given, no credentials, no region config, no network
 * (packaging must not need an AWS account), and no HALLPASS_* setting of the test run's own (the
 * template's defaults are under test). Stage prod has no config/prod.yaml in the repository: the
 * commented example stands in (the developer stages have their own, config/<stage>.yaml).
 */
function packagingEnv(catalog: string, stage = 'prod'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HALLPASS_'))),
    HALLPASS_CATALOG: catalog,
    ...(stage === 'prod' && { HALLPASS_CONFIG: 'config/example-prod.yaml' }),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_ENDPOINT_URL_STS',
  ]) {
    delete env[name];
  }
  return env;
}

/**
 * `npm run package` of the example catalog into a temporary directory, with serverless options
 * (`--param`) after the stage and the issuer.
 */
async function packageTemplate(into: string, ...options: string[]) {
  await promisify(execFile)(
    'npm',
    [
      'run',
      'package',
      '--',
      '--stage',
      'prod',
      '--package',
      into,
      '--param',
      `webIdentityIssuer=${ISSUER}`,
      ...options,
    ],
    { env: packagingEnv('catalog/example.yaml') },
  );
  return JSON.parse(readFileSync(join(into, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, Resource>;
    // biome-ignore lint/suspicious/noExplicitAny: see `conditions`.
    Conditions?: Record<string, any>;
    // biome-ignore lint/suspicious/noExplicitAny: see `outputs`.
    Outputs?: Record<string, any>;
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-package-'));
  const template = await packageTemplate(dir);
  resources = template.Resources;
  conditions = template.Conditions ?? {};
  outputs = template.Outputs ?? {};
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** A role's policy statements as CloudFormation deploys them: each Fn::If settled by its condition. */
// biome-ignore lint/suspicious/noExplicitAny: see `conditions`.
const statementsOf = (role: Resource, named: Record<string, any> = conditions): Statement[] =>
  role.Properties.Policies.flatMap((p: { PolicyDocument: { Statement: unknown[] } }) =>
    p.PolicyDocument.Statement.flatMap((s) => {
      const choice = (s as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
      if (!choice) return [s as Statement];
      const chosen = holds({ Condition: choice[0] }, named) ? choice[1] : choice[2];
      return (chosen as { Ref?: string }).Ref === 'AWS::NoValue' ? [] : [chosen as Statement];
    }),
  );
const actions = (s: Statement) => [s.Action].flat();
/** The stream mapping of one function (notify, slackNotify: two consumers of the audit stream). */
const mappingOf = (fn: string) =>
  ofType('AWS::Lambda::EventSourceMapping').find(([, m]) =>
    JSON.stringify(m.Properties.FunctionName).includes(`"${fn}LambdaFunction"`),
  )?.[1] as Resource;

describe('the packaged template', () => {
  it('routes every API.md route of this version to its function', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(
      ['$default', ...ROUTE_NAMES.map((name) => `${ROUTES[name].method} ${ROUTES[name].path}`)].sort(),
    );
  });

  it('throttles the API before any function runs', () => {
    expect(resources.HttpApiStage?.Properties.DefaultRouteSettings).toEqual({
      ThrottlingBurstLimit: 50,
      ThrottlingRateLimit: 20,
    });
  });

  it.each(['AuditTable', 'RequestsTable'])(
    'protects %s: on demand, PITR, SSE, TTL, deletion protection, retained',
    (id) => {
      const table = resources[id] as Resource;
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      });
      expect(table.Properties.TableName).toMatch(/^hallpass-prod-(audit|requests)$/);
    },
  );

  it('grants no wildcard action or resource in any function role', () => {
    const roles = ofType('AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(2);
    for (const [, role] of roles) {
      for (const statement of statementsOf(role)) {
        for (const action of actions(statement)) expect(action).not.toContain('*');
        for (const resource of [statement.Resource].flat()) expect(resource).not.toBe('*');
      }
    }
    // Every function runs as one of these roles, not a shared default one.
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('lets no function update or delete audit records', () => {
    const writes = ofType('AWS::IAM::Role')
      .flatMap(([, role]) => statementsOf(role))
      .filter((s) => JSON.stringify(s.Resource).includes('AuditTable'));
    const writing = writes.filter((st) =>
      actions(st).some((a) => /Put|Update|Delete|Write|Transact|PartiQL/.test(a)),
    );
    // Appends everywhere; two UpdateItems, the review route's and the revoke routes', each limited by
    // IAM to its one attribute.
    const updates = writing.filter((st) => !actions(st).every((a) => a === 'dynamodb:PutItem'));
    expect(updates).toHaveLength(2);
    for (const update of updates) expect(actions(update)).toEqual(['dynamodb:UpdateItem']);
    expect(updates[0]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'review', 'breakGlass'] } },
    });
    expect(statementsOf(resources.ReviewFunctionRole as Resource)).toContain(updates[0]);
    expect(updates[1]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'revocation'] } },
    });
    expect(statementsOf(resources.RevokeFunctionRole as Resource)).toContain(updates[1]);
  });

  it("lets the vend function assume exactly the catalog's assume-role roles, with tags and SourceIdentity", () => {
    const catalog = parse(readFileSync('catalog/example.yaml', 'utf8')) as {
      entitlements: Array<{ roleArn: string; issuance?: string }>;
    };
    const assumed = catalog.entitlements.filter((e) => (e.issuance ?? 'assume-role') === 'assume-role');
    const vend = resources.VendFunctionRole as Resource;
    const sts = statementsOf(vend).find((s) => actions(s).includes('sts:AssumeRole'));
    expect(actions(sts as Statement).sort()).toEqual([
      'sts:AssumeRole',
      'sts:SetSourceIdentity',
      'sts:TagSession',
    ]);
    expect(sts?.Resource).toEqual([...new Set(assumed.map((e) => e.roleArn))]);
    expect(resources.CredentialsLambdaFunction?.Properties.Role).toEqual({
      'Fn::GetAtt': ['VendFunctionRole', 'Arn'],
    });
  });

  it('lets no function delete or scan anything', () => {
    const all = ofType('AWS::IAM::Role').flatMap(([, role]) => statementsOf(role).flatMap(actions));
    expect(all.filter((a) => /Delete|Scan|BatchWrite|Transact/.test(a))).toEqual([]);
  });

  it('gives the approval functions conditional writes on requests and appends on the audit table', () => {
    const role = resources.RequestsFunctionRole as Resource;
    const dynamo = statementsOf(role).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => actions(s).sort())).toEqual([
      ['dynamodb:GetItem', 'dynamodb:Query'],
      ['dynamodb:PutItem'],
      ['dynamodb:PutItem'],
    ]);
    // Their writes of the requests table: request items and the cursor key, no other item.
    expect(JSON.stringify(dynamo[1]?.Resource)).toContain('RequestsTable');
    expect(dynamo[1]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['r??????????????????????', 'meta#cursor-key'] },
    });
  });

  it('gives the audit queries reads of the audit table only, and the cursor key item alone', () => {
    const role = resources.AuditQueryFunctionRole as Resource;
    const dynamo = statementsOf(role).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => actions(s).sort())).toEqual([
      ['dynamodb:GetItem', 'dynamodb:Query'],
      ['dynamodb:GetItem', 'dynamodb:PutItem'],
    ]);
    expect(JSON.stringify(dynamo[0]?.Resource)).toContain('AuditTable');
    expect(JSON.stringify(dynamo[1]?.Resource)).toContain('RequestsTable');
    expect(dynamo[1]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['meta#cursor-key'] } },
    });
  });

  it('streams new audit records to the notify function, with retries and a dead-letter queue', () => {
    const mapping = mappingOf('Notify');
    expect(mapping.Properties).toMatchObject({
      MaximumRetryAttempts: 20,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['NotificationDeadLetters', 'Arn'] } } },
    });
    // Old images too: a change to a session record is told apart from the review by comparing them.
    expect((resources.AuditTable as Resource).Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(ofType('AWS::Events::EventBus')).toHaveLength(1);
    const notify = statementsOf(resources.NotifyFunctionRole as Resource).flatMap(actions);
    expect(notify).toContain('events:PutEvents');
    expect(notify).not.toContain('dynamodb:PutItem');
  });

  it('gives the read-only functions nothing but their logs', () => {
    const readOnly = resources.ReadOnlyFunctionRole as Resource;
    expect(statementsOf(readOnly).flatMap(actions).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });
});

/** Every statement of every function role that may write to the audit table, with its role's id. */
const auditWrites = () =>
  ofType('AWS::IAM::Role').flatMap(([id, role]) =>
    statementsOf(role)
      .filter((s) => JSON.stringify(s.Resource).includes('AuditTable'))
      .filter((s) => actions(s).some((a) => /Put|Update/.test(a)))
      .map((s) => ({ id, statement: s })),
  );

describe('audit records cannot be overwritten (issue 19, item 3)', () => {
  it('limits each PutItem on the audit table to the key prefix its role writes: session# for vend alone', () => {
    const puts = auditWrites().filter(({ statement }) => actions(statement).includes('dynamodb:PutItem'));
    const prefixes = Object.fromEntries(
      puts.map(({ id, statement }) => [
        id,
        statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'],
      ]),
    );
    expect(prefixes).toEqual({
      VendFunctionRole: ['session#*'],
      ReminderFunctionRole: ['event#*'],
      ReviewFunctionRole: ['event#*'],
      RevokeFunctionRole: ['event#*'],
      RequestsFunctionRole: ['event#*'],
      SlackCommandsFunctionRole: ['event#*'],
      SlackInteractionsFunctionRole: ['event#*'],
      SlackLinksFunctionRole: ['event#*'],
    });
    for (const { statement } of puts) expect(actions(statement)).toEqual(['dynamodb:PutItem']);
  });

  it("limits the review route's UpdateItem to session items and the review attribute", () => {
    const updates = auditWrites().filter(
      ({ id, statement }) =>
        actions(statement).includes('dynamodb:UpdateItem') && id !== 'RevokeFunctionRole',
    );
    expect(updates.map(({ id }) => id)).toEqual(['ReviewFunctionRole']);
    expect(updates[0]?.statement.Condition).toMatchObject({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'review', 'breakGlass'] },
    });
  });

  it("limits the revoke routes' UpdateItem to session items and the revocation attribute, and IAM to the revoker roles", () => {
    const revoke = statementsOf(resources.RevokeFunctionRole as Resource);
    const update = auditWrites().filter(
      ({ id, statement }) =>
        id === 'RevokeFunctionRole' && actions(statement).includes('dynamodb:UpdateItem'),
    );
    // ArnLike (calls from inside the revoke functions only) has its own test below.
    expect(update.map(({ statement }) => ({ ...statement.Condition, ArnLike: undefined }))).toEqual([
      {
        ArnLike: undefined,
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'revocation'] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
      },
    ]);
    // No IAM action on the hallpass account: the policy writes happen as each target account's revoker.
    expect(revoke.flatMap(actions).filter((a) => a.startsWith('iam:'))).toEqual([]);
    const assume = revoke.find((s) => actions(s).includes('sts:AssumeRole'));
    expect(actions(assume as Statement)).toEqual(['sts:AssumeRole']);
    for (const arn of [assume?.Resource].flat())
      expect(String(arn)).toMatch(/^arn:aws:iam::\d{12}:role\/hallpass-[\w-]+-revoker$/);
    // And the vend role gets nothing of it.
    const vend = statementsOf(resources.VendFunctionRole as Resource).flatMap(actions);
    expect(vend.filter((a) => a.startsWith('iam:'))).toEqual([]);
  });

  it('streams changes and removals of session items to the notify function, next to new records', () => {
    const mapping = mappingOf('Notify');
    const patterns = mapping.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) =>
      JSON.parse(f.Pattern),
    );
    expect(patterns).toEqual([
      { eventName: ['INSERT'] },
      { eventName: ['MODIFY', 'REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'session#' }] } } } },
    ]);
  });

  it('alarms on the audit.tampered log line of the notify function, to an SNS topic', () => {
    const [[, filter] = []] = ofType('AWS::Logs::MetricFilter');
    expect(filter?.Properties).toMatchObject({
      LogGroupName: { Ref: 'NotifyLogGroup' },
      FilterPattern: '{ $.event = "audit.tampered" }',
      MetricTransformations: [
        { MetricNamespace: 'hallpass/prod', MetricName: 'AuditTampered', MetricValue: '1' },
      ],
    });
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const tampered = alarms.find((a) => a.MetricName === 'AuditTampered');
    expect(tampered).toMatchObject({
      Namespace: 'hallpass/prod',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'SecurityAlarmsTopic' }],
    });
    expect(resources.SecurityAlarmsTopic?.Type).toBe('AWS::SNS::Topic');
  });
});

describe('throttling (issue 19, item 4)', () => {
  it('gives POST /v1/credentials its own, higher bucket and reserved concurrency', () => {
    const stage = resources.HttpApiStage as Resource & { DependsOn?: string[] };
    const vend = stage.Properties.RouteSettings?.['POST /v1/credentials'];
    expect(vend).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    expect(vend.ThrottlingRateLimit).toBeGreaterThan(
      stage.Properties.DefaultRouteSettings.ThrottlingRateLimit,
    );
    // Route settings name a route key: the route must exist before the stage names it.
    expect(stage.DependsOn).toContain('HttpApiRoutePostV1Credentials');
    expect(resources.CredentialsLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(20);
  });
});

/** A CloudFormation string of Fn::Join and Ref, as text: `${AWS::Region}` for a Ref. */
const render = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(render);
  if (value && typeof value === 'object') {
    const v = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
    if (v.Ref) return `\${${v.Ref}}`;
    if (v['Fn::Join']) return v['Fn::Join'][1].map(render).join(v['Fn::Join'][0]);
  }
  return value;
};
/** The vend functions: credentials, and console, which vends before it signs in. */
const VEND_ARNS = [
  'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-credentials',
  'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-credentials:*',
  'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-console',
  'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-console:*',
];

describe('who can act as the vend function (issue 19, item 12)', () => {
  it('trusts Lambda only on behalf of this account, and the vend role only for the vend functions', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      const [trust, ...rest] = role.Properties.AssumeRolePolicyDocument.Statement;
      expect(rest, id).toEqual([]);
      expect(trust.Condition?.StringEquals, id).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    }
    const vendTrust = (resources.VendFunctionRole as Resource).Properties.AssumeRolePolicyDocument
      .Statement[0];
    expect(render(vendTrust.Condition.ArnLike['aws:SourceArn'])).toEqual(VEND_ARNS);
    // The revoke role, which the target accounts' revoker roles trust: the two revoke functions only.
    const revokeTrust = (resources.RevokeFunctionRole as Resource).Properties.AssumeRolePolicyDocument
      .Statement[0];
    expect(render(revokeTrust.Condition.ArnLike['aws:SourceArn'])).toEqual([
      'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-sessionsRevoke',
      'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-revocations',
    ]);
  });

  it('lets the vend role call STS and KMS and write sessions only from inside the vend functions', () => {
    const vend = statementsOf(resources.VendFunctionRole as Resource);
    const guarded = vend.filter((s) =>
      actions(s).some((a) => a.startsWith('sts:') || a.startsWith('kms:') || a === 'dynamodb:PutItem'),
    );
    // STS, KMS, the audit PutItem and the stored JWKS's PutItem.
    expect(guarded).toHaveLength(4);
    for (const statement of guarded) {
      expect(render(statement.Condition?.ArnLike?.['lambda:SourceFunctionArn'])).toEqual(VEND_ARNS);
    }
  });

  it('lets the revoke role assume the revoker roles and use DynamoDB only from inside the revoke functions', () => {
    const revoke = statementsOf(resources.RevokeFunctionRole as Resource);
    const guarded = revoke.filter((s) => actions(s).some((a) => !a.startsWith('logs:')));
    // AssumeRole of the revoker roles, the index queries, the revocation mark, the events, the lock.
    expect(guarded.flatMap(actions).sort()).toEqual([
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'dynamodb:UpdateItem',
      'sts:AssumeRole',
    ]);
    for (const statement of guarded) {
      expect(render(statement.Condition?.ArnLike?.['lambda:SourceFunctionArn'])).toEqual(
        ['sessionsRevoke', 'revocations'].flatMap((name) => [
          `arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:hallpass-prod-${name}`,
          `arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:hallpass-prod-${name}:*`,
        ]),
      );
    }
  });
});

describe("the issuer's JWKS kept in the requests table (issue 15)", () => {
  const requestsWrites = () =>
    ofType('AWS::IAM::Role').flatMap(([id, role]) =>
      statementsOf(role)
        .filter((s) => JSON.stringify(s.Resource).includes('RequestsTable'))
        .filter((s) => actions(s).includes('dynamodb:PutItem'))
        .map((statement) => ({ id, statement })),
    );

  it('lets the vend role (from inside the vend functions) and the refresh role (from inside its function) put the meta#jwks# items, and nothing else', () => {
    const jwks = requestsWrites().filter(({ statement }) =>
      JSON.stringify(statement.Condition ?? {}).includes('meta#jwks#'),
    );
    expect(jwks.map(({ id }) => id).sort()).toEqual(['JwksRefreshFunctionRole', 'VendFunctionRole']);
    for (const { id, statement } of jwks) {
      expect(actions(statement), id).toEqual(['dynamodb:PutItem']);
      expect(statement.Condition?.['ForAllValues:StringLike'], id).toEqual({
        'dynamodb:LeadingKeys': ['meta#jwks#*'],
      });
    }
    const vend = jwks.find(({ id }) => id === 'VendFunctionRole')?.statement;
    expect(render(vend?.Condition?.ArnLike?.['lambda:SourceFunctionArn'])).toEqual(VEND_ARNS);
    // And the refresh role's, from inside the refresh function alone.
    const refresh = jwks.find(({ id }) => id === 'JwksRefreshFunctionRole')?.statement;
    expect(render(refresh?.Condition?.ArnLike?.['lambda:SourceFunctionArn'])).toEqual([
      'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-jwksRefresh',
      'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-jwksRefresh:*',
    ]);
  });

  it('lets no other role write a meta#jwks# item: every write of the requests table names the items it may touch', () => {
    // IAM's StringLike: `*` any characters, `?` one.
    const matcher = (pattern: string) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replaceAll('*', '.*')
          .replaceAll('?', '.')}$`,
      );
    const writes = ofType('AWS::IAM::Role').flatMap(([id, role]) =>
      statementsOf(role)
        .filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes('RequestsTable'))
        .filter((s) => actions(s).some((a) => !/^dynamodb:(GetItem|Query|BatchGetItem)$/.test(a)))
        .map((statement) => ({ id, statement })),
    );
    const keys = (statement: Statement): string[] =>
      statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ??
      statement.Condition?.['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys'];
    // Every write of the table, with the items it may touch.
    expect(
      Object.fromEntries(
        writes.map(({ id, statement }) => [`${id} ${actions(statement).join(',')}`, keys(statement)]),
      ),
    ).toEqual({
      'SlackInteractionsFunctionRole dynamodb:PutItem': ['r??????????????????????'],
      'VendFunctionRole dynamodb:UpdateItem': ['r??????????????????????'],
      'VendFunctionRole dynamodb:PutItem': ['meta#jwks#*'],
      'JwksRefreshFunctionRole dynamodb:PutItem': ['meta#jwks#*'],
      'RevokeFunctionRole dynamodb:UpdateItem': ['revocation-lock#*'],
      'AuditQueryFunctionRole dynamodb:GetItem,dynamodb:PutItem': ['meta#cursor-key'],
      'RequestsFunctionRole dynamodb:PutItem': ['r??????????????????????', 'meta#cursor-key'],
    });
    // And no standalone policy writes the table.
    const standalone = [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')].filter(
      ([, policy]) =>
        (policy.Properties.PolicyDocument.Statement as Statement[]).some(
          (s) =>
            JSON.stringify(s).includes('RequestsTable') &&
            JSON.stringify(s).match(/dynamodb:(?!GetItem"|Query"|BatchGetItem")\w+/),
        ),
    );
    expect(ofType('AWS::IAM::Policy').length).toBeGreaterThan(0);
    expect(standalone.map(([id]) => id)).toEqual([]);
    const jwksItem = jwksItemId('https://issuer.example.com');
    const writers = writes
      .filter(({ statement }) => keys(statement).some((key) => matcher(key).test(jwksItem)))
      .map(({ id }) => id);
    expect(writers.sort()).toEqual(['JwksRefreshFunctionRole', 'VendFunctionRole']);
    // The request items' pattern is the ids the code makes, at any time, and none of the table's other items.
    const [requestIds] = keys(
      writes.find(({ id }) => id === 'RequestsFunctionRole')?.statement as Statement,
    ).map(matcher);
    for (const at of [0, Date.parse('2026-12-03T00:00:00Z'), 2 ** 50 - 1])
      for (let i = 0; i < 50; i++) expect(newRequestId(new Date(at))).toMatch(requestIds as RegExp);
    for (const other of [jwksItem, 'meta#cursor-key', lockKey('arn:aws:iam::123456789012:role/r')])
      expect(other).not.toMatch(requestIds as RegExp);
  });

  it('gives the refresh role its logs and that PutItem alone, and runs it every 5 minutes', () => {
    const role = statementsOf(resources.JwksRefreshFunctionRole as Resource);
    expect(role.flatMap(actions).sort()).toEqual([
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const rule = ofType('AWS::Events::Rule').find(([id]) => id.startsWith('JwksRefresh'))?.[1];
    expect(rule?.Properties.ScheduleExpression).toBe('rate(5 minutes)');
  });

  it('leaves the store off by default, and gives the setting to the vend functions alone', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(
      functions.filter(([, fn]) => fn.Properties.Environment?.Variables?.HALLPASS_JWKS_STORE === 'on'),
    ).toEqual([]);
    const set = functions
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.HALLPASS_JWKS_STORE !== undefined)
      .map(([id]) => id)
      .sort();
    expect(set).toEqual(['ConsoleLambdaFunction', 'CredentialsLambdaFunction']);
  });
});

describe('the per-person break-glass limit (issue 19, item 12)', () => {
  it("lets the vend function query the audit table's principal index, from inside the function only", () => {
    const vend = statementsOf(resources.VendFunctionRole as Resource);
    const queries = vend.filter((s) => actions(s).includes('dynamodb:Query'));
    expect(queries).toHaveLength(1);
    expect(JSON.stringify(queries[0]?.Resource)).toContain('byPrincipal');
    expect(JSON.stringify(queries[0]?.Resource)).toContain('AuditTable');
    expect(render(queries[0]?.Condition?.ArnLike?.['lambda:SourceFunctionArn'])).toEqual(VEND_ARNS);
  });

  it('passes the limit and the token lifetime to the functions as settings', () => {
    const vend = resources.CredentialsLambdaFunction as Resource;
    const variables = vend.Properties.Environment.Variables;
    expect(variables.HALLPASS_BREAK_GLASS_MAX_PER_HOUR).toBe('10');
    expect(variables.HALLPASS_MAX_TOKEN_AGE_SECONDS).toBe('86400');
  });
});

describe('operability', () => {
  it('writes API access logs to a log group with a retention, without the Authorization header', () => {
    const settings = (resources.HttpApiStage as Resource).Properties.AccessLogSettings;
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(settings.Format).toContain('$context.requestId');
    expect(settings.Format.toLowerCase()).not.toContain('authorization');
    expect((resources.HttpApiLogGroup as Resource).Properties.RetentionInDays).toBe(90);
  });

  it('keeps class names in the bundle, so logged error names are readable', () => {
    const bundle = execFileSync('unzip', ['-p', join(dir, 'credentials.zip'), 'functions/credentials.mjs'], {
      maxBuffer: 64 * 1024 * 1024,
    }).toString();
    // Not toContain: a failure would print half a megabyte of minified code.
    const named = ['UpstreamUnavailableError', 'ConflictError'].filter((n) => bundle.includes(`"${n}"`));
    expect(named).toEqual(['UpstreamUnavailableError', 'ConflictError']);
  });
});

/** Whether a CloudFormation condition of literal strings (Fn::Equals, Fn::Not, Fn::And, Fn::Or) holds. */
// biome-ignore lint/suspicious/noExplicitAny: a condition is any nesting of these functions.
const holds = (condition: any, named: Record<string, any> = conditions): boolean => {
  if (condition.Condition) return holds(named[condition.Condition], named);
  if (condition['Fn::Equals']) {
    const [a, b] = condition['Fn::Equals'];
    expect(typeof a === 'string' && typeof b === 'string', JSON.stringify(condition)).toBe(true);
    return a === b;
  }
  if (condition['Fn::Not']) return !holds(condition['Fn::Not'][0], named);
  if (condition['Fn::And']) return condition['Fn::And'].every((c: unknown) => holds(c, named));
  if (condition['Fn::Or']) return condition['Fn::Or'].some((c: unknown) => holds(c, named));
  throw new Error(`not a condition: ${JSON.stringify(condition)}`);
};

/** The one alarm whose metric (or metric query) names `metric`. */
const alarmOn = (metric: string, all: Record<string, Resource> = resources) => {
  const found = Object.entries(all)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .filter(([, r]) => JSON.stringify(r.Properties).match(new RegExp(`\\b${metric}\\b`)));
  expect(
    found.map(([id]) => id),
    metric,
  ).toHaveLength(1);
  // biome-ignore lint/style/noNonNullAssertion: asserted just above.
  return found[0]![1].Properties;
};

/** The Metrics Insights query of an alarm on hallpass's own metrics (namespace `hallpass`). */
// biome-ignore lint/suspicious/noExplicitAny: alarm properties.
const queryOf = (alarm: any): string => {
  const returned = alarm.Metrics.filter((m: { ReturnData?: boolean }) => m.ReturnData !== false);
  expect(returned).toHaveLength(1);
  return returned[0].Expression;
};

describe('alarms, dashboard, log retention and tracing (issue 16)', () => {
  it("keeps each stage to its own metrics: the functions' service dimension and every alarm's WHERE", () => {
    const vend = resources.CredentialsLambdaFunction as Resource;
    const service = vend.Properties.Environment.Variables.HALLPASS_METRICS_SERVICE;
    expect(service).toMatch(/^hallpass-[a-z0-9-]+$/);
    expect(vend.Properties.FunctionName).toBe(`${service}-credentials`);
    for (const metric of ['AuditWriteFailed', 'BreakGlassIssued', 'BreakGlassReminders', 'UpstreamError']) {
      expect(queryOf(alarmOn(metric))).toContain(`WHERE service = '${service}'`);
    }
  });

  it.each([
    ['AuditWriteFailed', 60],
    ['BreakGlassIssued', 60],
    ['BreakGlassReminders', 60],
  ])('alarms at the first %s in %i seconds', (metric, period) => {
    const alarm = alarmOn(metric);
    expect(queryOf(alarm)).toMatch(new RegExp(`^SELECT SUM\\(${metric}\\) FROM "?hallpass"?`));
    expect(alarm.Metrics[0].Period).toBe(period);
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on upstream errors of every dependency together, over a threshold', () => {
    const alarm = alarmOn('UpstreamError');
    // One query over every dependency (STS, DynamoDB, JWKS, KMS): no series left out.
    expect(queryOf(alarm)).toMatch(/^SELECT SUM\(UpstreamError\) FROM "?hallpass"?/);
    expect(queryOf(alarm)).not.toMatch(/GROUP BY/);
    expect(alarm.Metrics[0].Period).toBe(300);
    expect(alarm).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it("alarms on the HTTP API's 5xx rate, from API Gateway's own metrics", () => {
    const alarm = alarmOn('5xx');
    const stats = Object.fromEntries(
      alarm.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map(
        (m: { Id: string; MetricStat: { Metric: unknown; Stat: string; Period: number } }) => [
          m.Id,
          m.MetricStat,
        ],
      ),
    );
    const names = Object.values(stats).map(
      (s) => (s as { Metric: { MetricName: string } }).Metric.MetricName,
    );
    expect(names.sort()).toEqual(['5xx', 'Count']);
    for (const stat of Object.values(stats)) {
      expect(stat).toMatchObject({
        Metric: { Namespace: 'AWS/ApiGateway', Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }] },
        Stat: 'Sum',
        Period: 300,
      });
    }
    // A percentage of the requests, from both metrics.
    const rate = queryOf(alarm);
    for (const id of Object.keys(stats)) expect(rate).toContain(id);
    expect(rate).toMatch(/100/);
    expect(alarm).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm.TreatMissingData).toBe('notBreaching');
  });

  it('alarms while the notification dead-letter queue holds a message', () => {
    const alarm = alarmOn('ApproximateNumberOfMessagesVisible');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['NotificationDeadLetters', 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // SQS stops reporting on a queue left alone for hours: a silent queue keeps the alarm's state.
      TreatMissingData: 'ignore',
    });
  });

  it("alarms when the scheduled JWKS refresh fails three runs in a row, on that function's Lambda errors", () => {
    const [id, alarm] = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'Errors',
    ) ?? ['', { Properties: {} }];
    expect(id).toBe('JwksRefreshFailingAlarm');
    expect(alarm.Properties).toMatchObject({
      AlarmName: 'hallpass-prod-jwks-refresh-failing',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: 'hallpass-prod-jwksRefresh' }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // The function the alarm names is the one the template deploys, on its 5-minute schedule.
    const refresh = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'hallpass-prod-jwksRefresh',
    );
    expect(refresh).toBeDefined();
  });

  it('sends every alarm to the one alarm topic, with an email and an HTTPS subscription when set', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(8);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: 'SecurityAlarmsTopic' }]);
      expect(alarm.Properties.AlarmName, id).toMatch(/^hallpass-prod-/);
      expect(alarm.Properties.AlarmDescription, id).toBeTruthy();
    }
    const subscriptions = ofType('AWS::SNS::Subscription').map(
      ([, s]) => s as Resource & { Condition: string },
    );
    expect(subscriptions.map((s) => s.Properties.Protocol).sort()).toEqual(['email', 'https']);
    for (const subscription of subscriptions) {
      expect(subscription.Properties.TopicArn).toEqual({ Ref: 'SecurityAlarmsTopic' });
      // No subscription unless its setting is given.
      expect(holds({ Condition: subscription.Condition })).toBe(false);
    }
  });

  it('builds a dashboard of the main figures, its references resolved by CloudFormation', () => {
    const [[, dashboard] = []] = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboard?.Properties.DashboardName).toBe('hallpass-prod');
    const [text, variables = {}] = [dashboard?.Properties.DashboardBody['Fn::Sub']].flat();
    const references = [...(text as string).matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]);
    expect([...new Set(references)].filter((r) => !((r as string) in variables)).sort()).toEqual([
      'AWS::AccountId',
      'AWS::Region',
      'HttpApi',
      'NotificationDeadLetters.QueueName',
    ]);
    const body = JSON.parse((text as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => `<${name}>`)) as {
      widgets: Array<{ properties: { title: string; metrics?: unknown[] } }>;
    };
    const metricsOf = (title: RegExp) =>
      JSON.stringify(body.widgets.filter((w) => title.test(w.properties.title)).map((w) => w.properties));
    // The alarms' widget shows every alarm the template makes, and no other.
    const shown = [...JSON.stringify(body).matchAll(/:alarm:([\w-]+)/g)].map((m) => m[1]).sort();
    expect(shown).toEqual(
      ofType('AWS::CloudWatch::Alarm')
        .map(([, a]) => a.Properties.AlarmName)
        .sort(),
    );
    expect(metricsOf(/credentials issued/i)).toMatch(/CredentialsIssued.*GROUP BY Path/);
    expect(metricsOf(/refus/i)).toMatch(/Refused.*GROUP BY Code/);
    expect(metricsOf(/5xx/i)).toContain('AWS/ApiGateway');
    expect(metricsOf(/5xx/i)).toContain('<HttpApi>');
    expect(metricsOf(/upstream errors/i)).toMatch(/UpstreamError.*GROUP BY Dependency/);
    expect(metricsOf(/latency/i)).toMatch(/UpstreamLatency.*p99/);
    expect(metricsOf(/decision/i)).toMatch(/RequestDecided.*GROUP BY Decision/);
    expect(metricsOf(/break glass/i)).toContain('BreakGlassIssued');
    expect(metricsOf(/dead-letter/i)).toContain('<NotificationDeadLetters.QueueName>');
    expect(metricsOf(/vend function/i)).toMatch(/Errors.*Throttles|Throttles.*Errors/);
    expect(metricsOf(/vend function/i)).toContain('hallpass-prod-credentials');
    for (const widget of body.widgets) {
      if (widget.properties.metrics) expect(JSON.stringify(widget.properties)).toContain('<AWS::Region>');
    }
  });

  it('keeps every log group (each function, the API access log) logRetentionInDays, 90 by default', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    const functions = ofType('AWS::Lambda::Function');
    expect(groups.map(([id]) => id).sort()).toEqual(
      [...functions.map(([id]) => id.replace(/LambdaFunction$/, 'LogGroup')), 'HttpApiLogGroup'].sort(),
    );
    for (const [id, group] of groups) expect(group.Properties.RetentionInDays, id).toBe(90);
  });

  it('traces nothing by default', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function'))
      expect(fn.Properties.TracingConfig, id).toBeUndefined();
    // The X-Ray permissions exist in the template, under a condition that does not hold.
    expect(ofType('AWS::IAM::ManagedPolicy')).toHaveLength(1);
    for (const [id, policy] of ofType('AWS::IAM::ManagedPolicy')) {
      expect(holds({ Condition: (policy as Resource & { Condition: string }).Condition }), id).toBe(false);
    }
  });

  describe('with the settings given', () => {
    let withSettings: Awaited<ReturnType<typeof packageTemplate>>;
    let settingsDir: string;
    beforeAll(async () => {
      settingsDir = mkdtempSync(join(tmpdir(), 'hallpass-package-settings-'));
      withSettings = await packageTemplate(
        settingsDir,
        '--param',
        'tracing=true',
        '--param',
        'logRetentionInDays=30',
        '--param',
        'alarmEmail=security@example.com',
        '--param',
        'alarmHttpsUrl=https://alerts.example.com/hallpass',
        '--param',
        'serverErrorRatePercent=2',
        '--param',
        'upstreamErrorThreshold=20',
      );
    }, 180_000);
    afterAll(() => rmSync(settingsDir, { recursive: true, force: true }));

    const all = () => withSettings.Resources;
    const of = (type: string) => Object.entries(all()).filter(([, r]) => r.Type === type);

    it('traces every function with X-Ray (Lambda only: HTTP APIs have no X-Ray), allowed to write traces', () => {
      const functions = of('AWS::Lambda::Function');
      for (const [id, fn] of functions) expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const [[, policy] = []] = of('AWS::IAM::ManagedPolicy');
      const managed = policy as Resource & { Condition: string };
      expect(holds({ Condition: managed.Condition }, withSettings.Conditions)).toBe(true);
      const statements: Statement[] = managed.Properties.PolicyDocument.Statement;
      expect(statements.flatMap(actions).sort()).toEqual([
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
      // Every role a function runs as.
      const roles = new Set(functions.map(([, fn]) => fn.Properties.Role['Fn::GetAtt'][0]));
      expect(managed.Properties.Roles.map((r: { Ref: string }) => r.Ref).sort()).toEqual([...roles].sort());
      // The stage's own settings carry no tracing (HTTP APIs do not support it).
      expect(JSON.stringify(all().HttpApiStage?.Properties)).not.toMatch(/Tracing/i);
    });

    it('keeps every log group the given number of days', () => {
      for (const [id, group] of of('AWS::Logs::LogGroup'))
        expect(group.Properties.RetentionInDays, id).toBe(30);
    });

    it('subscribes the given email address and HTTPS endpoint to the alarm topic', () => {
      const subscriptions = of('AWS::SNS::Subscription').map(
        ([, s]) => s as Resource & { Condition: string },
      );
      expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint]).sort()).toEqual([
        ['email', 'security@example.com'],
        ['https', 'https://alerts.example.com/hallpass'],
      ]);
      for (const s of subscriptions)
        expect(holds({ Condition: s.Condition }, withSettings.Conditions)).toBe(true);
    });

    it('uses the given alarm thresholds', () => {
      expect(Number(alarmOn('5xx', all()).Threshold)).toBe(2);
      expect(Number(alarmOn('UpstreamError', all()).Threshold)).toBe(20);
    });
  });
});

const SIGNING_KEY_ARN = { 'Fn::GetAtt': ['SigningKey', 'Arn'] };
const kmsStatements = (role: Resource, named = conditions) =>
  statementsOf(role, named).filter((s) => actions(s).some((a) => a.startsWith('kms:')));

describe('web-identity issuance and the console (issue 11)', () => {
  it('keeps an RSA 2048 signing key through stack deletion and replacement, with the longest pending window', () => {
    const key = resources.SigningKey as Resource & { UpdateReplacePolicy?: string };
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    expect(key.Properties).toMatchObject({
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      PendingWindowInDays: 30,
    });
    expect(resources.SigningKeyAlias?.Properties).toEqual({
      AliasName: 'alias/hallpass-prod-signing',
      TargetKeyId: { Ref: 'SigningKey' },
    });
  });

  it('lets the account administer the key, the vend role sign and the OIDC documents read, no one else', () => {
    const policy = (resources.SigningKey as Resource).Properties.KeyPolicy.Statement as Array<
      Statement & { Sid: string; Principal: { AWS: unknown } }
    >;
    const account = 'arn:aws:iam::${AWS::AccountId}:root';
    for (const statement of policy) {
      expect(statement.Effect, statement.Sid).toBe('Allow');
      expect(render(statement.Principal.AWS), statement.Sid).toBe(account);
      for (const action of actions(statement)) expect(action, statement.Sid).not.toContain('*');
    }
    const [admin, sign, read, ...rest] = policy;
    expect(rest).toEqual([]);
    // Management only: neither using the key nor handing its use to others (grants).
    const administering = actions(admin as Statement);
    expect(administering).toContain('kms:PutKeyPolicy');
    expect(administering).toContain('kms:ScheduleKeyDeletion');
    expect(
      administering.filter((a) => /Sign|Verify|GetPublicKey|CreateGrant|Decrypt|Encrypt|Generate/.test(a)),
    ).toEqual([]);
    expect(actions(sign as Statement)).toEqual(['kms:Sign']);
    expect(render(sign?.Condition.ArnEquals['aws:PrincipalArn'])).toBe(
      'arn:aws:iam::${AWS::AccountId}:role/hallpass-prod-vend',
    );
    expect(sign?.Condition.StringEquals).toEqual({ 'kms:SigningAlgorithm': 'RSASSA_PKCS1_V1_5_SHA_256' });
    expect(actions(read as Statement)).toEqual(['kms:GetPublicKey']);
    expect(render(read?.Condition.ArnEquals['aws:PrincipalArn'])).toBe(
      'arn:aws:iam::${AWS::AccountId}:role/hallpass-prod-oidc-documents',
    );
  });

  it('lets the vend role sign with the signing key alone, RS256 alone, and nothing else in KMS', () => {
    const kms = kmsStatements(resources.VendFunctionRole as Resource);
    expect(kms).toHaveLength(1);
    expect(actions(kms[0] as Statement)).toEqual(['kms:Sign']);
    expect(kms[0]?.Resource).toEqual([SIGNING_KEY_ARN]);
    expect(kms[0]?.Condition.StringEquals).toEqual({ 'kms:SigningAlgorithm': 'RSASSA_PKCS1_V1_5_SHA_256' });
    // No other role may use the key.
    const others = ofType('AWS::IAM::Role').filter(([id]) => id !== 'VendFunctionRole');
    const signing = others.filter(([, role]) => statementsOf(role).flatMap(actions).includes('kms:Sign'));
    expect(signing).toEqual([]);
  });

  it("gives the OIDC documents' role kms:GetPublicKey on the signing key, and nothing but its logs besides", () => {
    const role = resources.OidcDocumentsFunctionRole as Resource;
    expect(statementsOf(role).flatMap(actions).sort()).toEqual([
      'kms:GetPublicKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(kmsStatements(role)[0]?.Resource).toEqual([SIGNING_KEY_ARN]);
    for (const id of ['OidcConfigurationLambdaFunction', 'OidcJwksLambdaFunction']) {
      expect(resources[id]?.Properties.Role, id).toEqual({
        'Fn::GetAtt': ['OidcDocumentsFunctionRole', 'Arn'],
      });
    }
  });

  it('routes POST /v1/console and the OIDC documents, the documents outside /v1', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /v1/console',
        'GET /.well-known/openid-configuration',
        'GET /.well-known/jwks.json',
      ]),
    );
  });

  it('runs the console function as the vend role, with the vend route throttling and its own reserved concurrency', () => {
    const console = resources.ConsoleLambdaFunction as Resource;
    expect(console.Properties.Role).toEqual({ 'Fn::GetAtt': ['VendFunctionRole', 'Arn'] });
    expect(console.Properties.Timeout).toBe(15);
    expect(console.Properties.ReservedConcurrentExecutions).toBe(20);
    const stage = resources.HttpApiStage as Resource & { DependsOn?: string[] };
    expect(stage.Properties.RouteSettings['POST /v1/console']).toEqual(
      stage.Properties.RouteSettings['POST /v1/credentials'],
    );
    expect(stage.DependsOn).toContain('HttpApiRoutePostV1Console');
  });

  it('hands the functions the issuer and the signing key alias as plain strings', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables.HALLPASS_WEB_IDENTITY_ISSUER, id).toBe(ISSUER);
      expect(variables.HALLPASS_SIGNING_KEY_ID, id).toBe('alias/hallpass-prod-signing');
      // Empty: lib/config.ts's defaults (sts.amazonaws.com, the signing key alone, AWS's endpoints).
      for (const name of [
        'HALLPASS_WEB_IDENTITY_AUDIENCE',
        'HALLPASS_PUBLISHED_KEY_IDS',
        'HALLPASS_FEDERATION_URL',
        'HALLPASS_CONSOLE_HOSTS',
      ]) {
        expect(variables[name], `${id} ${name}`).toBe('');
      }
    }
  });

  it('outputs what a target account registers: the issuer URL, the audience and the signing key', () => {
    const issuer = outputs.WebIdentityIssuerUrl.Value['Fn::If'];
    expect(holds({ Condition: issuer[0] })).toBe(true);
    expect(issuer[1]).toBe(ISSUER);
    // Without an issuer set: the HTTP API's own URL, the one to set it to.
    expect(render(issuer[2])).toBe('https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}');
    const audience = outputs.WebIdentityAudience.Value['Fn::If'];
    expect(holds({ Condition: audience[0] }) ? audience[1] : audience[2]).toBe('sts.amazonaws.com');
    expect(outputs.SigningKeyArn.Value).toEqual(SIGNING_KEY_ARN);
  });
});

/** What a command that must fail printed (serverless prints its errors on stdout). */
async function failureOf(command: Promise<unknown>): Promise<string> {
  const error = await command.then(
    () => expect.fail('the command succeeded'),
    (e: { stdout?: string; stderr?: string }) => e,
  );
  return `${error.stdout ?? ''}${error.stderr ?? ''}`;
}

interface ResolvedConfig {
  provider: { environment: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: see `conditions`.
  resources: { Resources: Record<string, Resource>; Conditions: Record<string, any> };
}

describe('the catalog decides what the vend role may assume (issue 11)', () => {
  let catalogs: string;
  const entitlement = (id: string, roleArn: string, issuance: string) => ({
    id,
    roleArn,
    issuance,
    requesterGroups: ['engineers'],
    maxDurationSeconds: 3600,
    defaultDurationSeconds: 900,
    approval: { required: false },
  });
  const READONLY = 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly';
  const POWERUSER = 'arn:aws:iam::111111111111:role/hallpass-sandbox-poweruser';
  const catalog = (name: string, ...entitlements: unknown[]) => {
    const file = join(catalogs, `${name}.yaml`);
    writeFileSync(file, stringify({ entitlements }));
    return file;
  };

  /** serverless.yml with every variable resolved (`serverless print`: no bundling, a few seconds). */
  async function resolved(
    catalogFile: string,
    stage: string,
    ...options: Array<string | NodeJS.ProcessEnv>
  ): Promise<ResolvedConfig> {
    const args = options.filter((o) => typeof o === 'string');
    const env = Object.assign(
      packagingEnv(catalogFile, stage),
      ...options.filter((o) => typeof o !== 'string'),
    );
    const { stdout } = await promisify(execFile)(
      'npx',
      ['serverless', 'print', '--format', 'json', '--stage', stage, ...args],
      { env, maxBuffer: 16 * 1024 * 1024 },
    );
    return JSON.parse(stdout) as ResolvedConfig;
  }
  const vendStatements = (config: ResolvedConfig) =>
    statementsOf(config.resources.Resources.VendFunctionRole as Resource, config.resources.Conditions);

  beforeAll(() => {
    catalogs = mkdtempSync(join(tmpdir(), 'hallpass-catalogs-'));
  });
  afterAll(() => rmSync(catalogs, { recursive: true, force: true }));

  it('grants AssumeRole on the roles of assume-role entitlements, never on a web-identity one', async () => {
    const mixed = catalog(
      'mixed',
      entitlement('sandbox-readonly', READONLY, 'assume-role'),
      entitlement('sandbox-poweruser', POWERUSER, 'web-identity'),
    );
    const config = await resolved(mixed, 'prod', '--param', `webIdentityIssuer=${ISSUER}`);
    const sts = vendStatements(config).filter((s) => actions(s).some((a) => a.startsWith('sts:')));
    expect(sts.map((s) => s.Resource)).toEqual([[READONLY]]);
    const roles = Object.values(config.resources.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(JSON.stringify(roles)).not.toContain(POWERUSER);
  }, 60_000);

  it('gives the vend role no STS permission at all when every entitlement is web-identity', async () => {
    const webOnly = catalog('web-only', entitlement('sandbox-poweruser', POWERUSER, 'web-identity'));
    const config = await resolved(webOnly, 'prod', '--param', `webIdentityIssuer=${ISSUER}`);
    const granted = vendStatements(config).flatMap(actions);
    expect(granted.filter((a) => a.startsWith('sts:'))).toEqual([]);
    expect(granted).toContain('kms:Sign');
  }, 60_000);

  it('refuses to package a web-identity entitlement without an issuer', async () => {
    const mixed = catalog(
      'mixed-no-issuer',
      entitlement('sandbox-readonly', READONLY, 'assume-role'),
      entitlement('sandbox-poweruser', POWERUSER, 'web-identity'),
    );
    const into = mkdtempSync(join(tmpdir(), 'hallpass-package-refused-'));
    try {
      const packaging = promisify(execFile)(
        'npm',
        ['run', 'package', '--', '--stage', 'prod', '--package', into],
        { env: packagingEnv(mixed) },
      );
      expect(await failureOf(packaging)).toContain(
        'a web-identity entitlement needs HALLPASS_WEB_IDENTITY_ISSUER (or the webIdentityIssuer param)',
      );
    } finally {
      rmSync(into, { recursive: true, force: true });
    }
  }, 120_000);

  it('signs with no key when no issuer is set, so that the functions start (lib/config.ts wants both or neither)', async () => {
    const assumeOnly = catalog('assume-only', entitlement('sandbox-readonly', READONLY, 'assume-role'));
    const { environment } = (await resolved(assumeOnly, 'prod')).provider;
    expect(environment.HALLPASS_WEB_IDENTITY_ISSUER).toBe('');
    expect(environment.HALLPASS_SIGNING_KEY_ID).toBe('');
  }, 60_000);

  it('defaults the issuer to the local API on the developer stages (local, dev) only', async () => {
    const mixed = catalog(
      'mixed-local',
      entitlement('sandbox-readonly', READONLY, 'assume-role'),
      entitlement('sandbox-poweruser', POWERUSER, 'web-identity'),
    );
    for (const stage of ['local', 'dev']) {
      const { environment } = (await resolved(mixed, stage)).provider;
      expect(environment.HALLPASS_WEB_IDENTITY_ISSUER, stage).toBe('http://127.0.0.1:3000');
      expect(environment.HALLPASS_SIGNING_KEY_ID, stage).toBe(`alias/hallpass-${stage}-signing`);
    }
  }, 60_000);

  it("signs with the stage's own key once deployed, whatever key the environment names; locally with that one", async () => {
    const mixed = catalog(
      'mixed-key',
      entitlement('sandbox-readonly', READONLY, 'assume-role'),
      entitlement('sandbox-poweruser', POWERUSER, 'web-identity'),
    );
    const named = { HALLPASS_SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/local' };
    const local = await resolved(mixed, 'local', named);
    expect(local.provider.environment.HALLPASS_SIGNING_KEY_ID).toBe(named.HALLPASS_SIGNING_KEY_ID);
    const prod = await resolved(mixed, 'prod', named, '--param', `webIdentityIssuer=${ISSUER}`);
    expect(prod.provider.environment.HALLPASS_SIGNING_KEY_ID).toBe('alias/hallpass-prod-signing');
  }, 60_000);

  it.each([
    [
      'an issuer that is not https',
      ['webIdentityIssuer=http://hallpass.example.com'],
      /must be an https URL/,
    ],
    [
      'a published key named by alias',
      [`webIdentityIssuer=${ISSUER}`, 'publishedKeyArns=alias/hallpass-prod-signing'],
      /not a KMS key ARN/,
    ],
  ])(
    'refuses %s',
    async (_, params, message) => {
      const assumeOnly = catalog(
        'assume-only-refused',
        entitlement('sandbox-readonly', READONLY, 'assume-role'),
      );
      const options = params.flatMap((param) => ['--param', param]);
      expect(await failureOf(resolved(assumeOnly, 'prod', ...options))).toMatch(message);
    },
    60_000,
  );

  it("lets the OIDC documents' role read the published keys too (rotation)", async () => {
    const assumeOnly = catalog(
      'assume-only-published',
      entitlement('sandbox-readonly', READONLY, 'assume-role'),
    );
    const previous = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const config = await resolved(
      assumeOnly,
      'prod',
      '--param',
      `webIdentityIssuer=${ISSUER}`,
      '--param',
      `publishedKeyArns=${previous}`,
    );
    const role = config.resources.Resources.OidcDocumentsFunctionRole as Resource;
    expect(kmsStatements(role, config.resources.Conditions)[0]?.Resource).toEqual([
      SIGNING_KEY_ARN,
      previous,
    ]);
    expect(config.provider.environment.HALLPASS_PUBLISHED_KEY_IDS).toBe(previous);
  }, 60_000);
});

describe('Slack approvals (issue 13)', () => {
  const policy = (id: string) => resources[id] as Resource;
  const policyStatements = (id: string): Statement[] => policy(id).Properties.PolicyDocument.Statement;
  const sub = (value: unknown) => (value as { 'Fn::Sub'?: string })['Fn::Sub'];

  it('names the two secrets in the functions environment, never their values', () => {
    const fn = ofType('AWS::Lambda::Function').find(([id]) =>
      id.startsWith('SlackInteractions'),
    )?.[1] as Resource;
    const env = fn.Properties.Environment.Variables;
    expect(env.HALLPASS_SLACK_SIGNING_SECRET_PARAMETER).toBe('/hallpass/prod/slack-signing-secret');
    expect(env.HALLPASS_SLACK_BOT_TOKEN_PARAMETER).toBe(
      '/aws/reference/secretsmanager/hallpass/prod/slack-bot-token',
    );
    expect(env.HALLPASS_SLACK_TABLE).toBe('hallpass-prod-slack');
    expect(JSON.stringify(resources)).not.toMatch(
      /xoxb-|resolve:ssm-secure|resolve:secretsmanager:hallpass\/prod\/slack/,
    );
  });

  it('lets each Slack function read only the secrets it uses: command the signing secret, interactions both, slackNotify the bot token', () => {
    const resourcesOf = (id: string) =>
      policyStatements(id).map((st) => [actions(st), [st.Resource].flat().map(sub)] as const);
    const signing =
      'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/hallpass/prod/slack-signing-secret';
    const token =
      'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/aws/reference/secretsmanager/hallpass/prod/slack-bot-token';
    const secret =
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:hallpass/prod/slack-bot-token-??????';
    expect(policy('SlackCommandsSecretsPolicy').Properties.Roles).toEqual([
      { Ref: 'SlackCommandsFunctionRole' },
    ]);
    expect(resourcesOf('SlackCommandsSecretsPolicy')).toEqual([[['ssm:GetParameter'], [signing]]]);
    expect(policy('SlackInteractionsSecretsPolicy').Properties.Roles).toEqual([
      { Ref: 'SlackInteractionsFunctionRole' },
    ]);
    expect(resourcesOf('SlackInteractionsSecretsPolicy')).toEqual([
      [['ssm:GetParameter'], [signing, token]],
      [['secretsmanager:GetSecretValue'], [secret]],
    ]);
    expect(policy('SlackNotifySecretsPolicy').Properties.Roles).toEqual([{ Ref: 'SlackNotifyFunctionRole' }]);
    expect(resourcesOf('SlackNotifySecretsPolicy')).toEqual([
      [['ssm:GetParameter'], [token]],
      [['secretsmanager:GetSecretValue'], [secret]],
    ]);
    // No other role reads any secret.
    for (const [id, r] of ofType('AWS::IAM::Role')) {
      const reads = statementsOf(r as Resource)
        .flatMap(actions)
        .filter((a) => /ssm:|secretsmanager:/.test(a));
      expect(reads, id).toEqual([]);
    }
  });

  it("limits each Slack role's writes to the Slack table to the item kinds it writes", () => {
    const writes = (role: string) =>
      statementsOf(resources[role] as Resource)
        .filter((st) => JSON.stringify(st.Resource).includes('SlackTable'))
        .filter((st) => actions(st).some((a) => a !== 'dynamodb:GetItem'))
        .map((st) => [actions(st), st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']]);
    expect(writes('SlackCommandsFunctionRole')).toEqual([
      [['dynamodb:PutItem'], ['code#*', 'seen#*', 'principal#*']],
      [['dynamodb:UpdateItem'], ['user#*']],
    ]);
    // The route anyone on the internet can reach (with Slack's signature) writes replay marks alone.
    expect(writes('SlackInteractionsFunctionRole')).toEqual([[['dynamodb:PutItem'], ['seen#*']]]);
    expect(writes('SlackLinksFunctionRole')).toEqual([
      [['dynamodb:PutItem'], ['user#*', 'principal#*']],
      [['dynamodb:UpdateItem'], ['code#*', 'user#*']],
    ]);
    expect(writes('SlackNotifyFunctionRole')).toEqual([[['dynamodb:PutItem'], ['message#*', 'sent#*']]]);
    // The notify function itself has nothing of Slack.
    expect(JSON.stringify(statementsOf(resources.NotifyFunctionRole as Resource))).not.toContain(
      'SlackTable',
    );
  });

  it('gives Slack its own consumer of the audit stream, with its own retries and the dead-letter queue', () => {
    expect(mappingOf('SlackNotify').Properties).toMatchObject({
      MaximumRetryAttempts: 20,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['NotificationDeadLetters', 'Arn'] } } },
    });
    expect(JSON.parse(mappingOf('SlackNotify').Properties.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['INSERT'],
    });
  });

  it('lets every function behind a token refresh principal items of the Slack table, and nothing else', () => {
    const refresh = policyStatements('SlackGroupRefreshPolicy');
    expect(refresh).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:UpdateItem'],
        Resource: [{ 'Fn::GetAtt': ['SlackTable', 'Arn'] }],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['principal#*'] } },
      },
    ]);
    const tokenRoutes = ROUTE_NAMES.filter((name) => ROUTES[name].auth);
    const functions = ofType('AWS::Lambda::Function');
    const roles = new Set(
      tokenRoutes.map((name) => {
        const logical = `${name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())}LambdaFunction`;
        const fn = functions.find(([id]) => id.toLowerCase() === logical.toLowerCase())?.[1] as Resource;
        return fn.Properties.Role['Fn::GetAtt'][0];
      }),
    );
    expect(
      policy('SlackGroupRefreshPolicy')
        .Properties.Roles.map((r: { Ref: string }) => r.Ref)
        .sort(),
    ).toEqual([...roles].sort());
  });

  it('keeps the Slack table, protected like the others', () => {
    const table = resources.SlackTable as Resource;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
  });
});
