/**
 * The CloudFormation template `npm run package` builds (offline, no AWS account): routes, tables
 * with their protections, and least-privilege roles.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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
}

let dir: string;
let resources: Record<string, Resource>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-package-'));
  // No credentials, no region config, no network: packaging must not need an AWS account.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HALLPASS_CATALOG: 'catalog/example.yaml',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_ENDPOINT_URL_STS',
  ]) {
    delete env[name];
  }
  await promisify(execFile)('npm', ['run', 'package', '--', '--stage', 'prod', '--package', dir], { env });
  resources = JSON.parse(
    readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ).Resources;
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const statementsOf = (role: Resource): Statement[] =>
  role.Properties.Policies.flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
const actions = (s: Statement) => [s.Action].flat();

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
    // Appends everywhere; one UpdateItem, the review route's, limited by IAM to the review attribute.
    const updates = writing.filter((st) => !actions(st).every((a) => a === 'dynamodb:PutItem'));
    expect(updates).toHaveLength(1);
    expect(actions(updates[0] as Statement)).toEqual(['dynamodb:UpdateItem']);
    expect(updates[0]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'review', 'breakGlass'] } },
    });
    const reviewRole = statementsOf(resources.ReviewFunctionRole as Resource);
    expect(reviewRole).toContain(updates[0]);
  });

  it("lets the vend function assume exactly the catalog's roles, with tags and SourceIdentity", () => {
    const catalog = parse(readFileSync('catalog/example.yaml', 'utf8')) as {
      entitlements: Array<{ roleArn: string }>;
    };
    const vend = resources.VendFunctionRole as Resource;
    const sts = statementsOf(vend).find((s) => actions(s).includes('sts:AssumeRole'));
    expect(actions(sts as Statement).sort()).toEqual([
      'sts:AssumeRole',
      'sts:SetSourceIdentity',
      'sts:TagSession',
    ]);
    expect(sts?.Resource).toEqual(catalog.entitlements.map((e) => e.roleArn));
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
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      ['dynamodb:PutItem'],
    ]);
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
    const mapping = ofType('AWS::Lambda::EventSourceMapping')[0]?.[1] as Resource;
    expect(mapping.Properties).toMatchObject({
      MaximumRetryAttempts: 20,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['NotificationDeadLetters', 'Arn'] } } },
    });
    expect((resources.AuditTable as Resource).Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_IMAGE',
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
