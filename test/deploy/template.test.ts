/**
 * The CloudFormation template `npm run package` builds (offline, no AWS account): routes, tables
 * with their protections, and least-privilege roles.
 */
import { execFile, execFileSync } from 'node:child_process';
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
  // biome-ignore lint/suspicious/noExplicitAny: conditions are asserted key by key.
  Condition?: any;
}

let dir: string;
let resources: Record<string, Resource>;
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation conditions are asserted by evaluation.
let conditions: Record<string, any>;

/**
 * `npm run package` into a temporary directory, with serverless options (`--param`) after the stage.
 * No credentials, no region config, no network: packaging must not need an AWS account.
 */
async function packageTemplate(into: string, ...options: string[]) {
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
  await promisify(execFile)(
    'npm',
    ['run', 'package', '--', '--stage', 'prod', '--package', into, ...options],
    {
      env,
    },
  );
  return JSON.parse(readFileSync(join(into, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, Resource>;
    // biome-ignore lint/suspicious/noExplicitAny: see `conditions`.
    Conditions?: Record<string, any>;
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-package-'));
  const template = await packageTemplate(dir);
  resources = template.Resources;
  conditions = template.Conditions ?? {};
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
      RequestsFunctionRole: ['event#*'],
    });
    for (const { statement } of puts) expect(actions(statement)).toEqual(['dynamodb:PutItem']);
  });

  it("limits the review route's UpdateItem to session items and the review attribute", () => {
    const updates = auditWrites().filter(({ statement }) =>
      actions(statement).includes('dynamodb:UpdateItem'),
    );
    expect(updates.map(({ id }) => id)).toEqual(['ReviewFunctionRole']);
    expect(updates[0]?.statement.Condition).toMatchObject({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'review', 'breakGlass'] },
    });
  });

  it('streams changes and removals of session items to the notify function, next to new records', () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping')[0]?.[1] as Resource;
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
const VEND_ARNS = [
  'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-credentials',
  'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hallpass-prod-credentials:*',
];

describe('who can act as the vend function (issue 19, item 12)', () => {
  it('trusts Lambda only on behalf of this account, and the vend role only for the credentials function', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      const [trust, ...rest] = role.Properties.AssumeRolePolicyDocument.Statement;
      expect(rest, id).toEqual([]);
      expect(trust.Condition?.StringEquals, id).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    }
    const vendTrust = (resources.VendFunctionRole as Resource).Properties.AssumeRolePolicyDocument
      .Statement[0];
    expect(render(vendTrust.Condition.ArnLike['aws:SourceArn'])).toEqual(VEND_ARNS);
  });

  it('lets the vend role call STS and write sessions only from inside the credentials function', () => {
    const vend = statementsOf(resources.VendFunctionRole as Resource);
    const guarded = vend.filter((s) =>
      actions(s).some((a) => a.startsWith('sts:') || a === 'dynamodb:PutItem'),
    );
    expect(guarded).toHaveLength(2);
    for (const statement of guarded) {
      expect(render(statement.Condition?.ArnLike?.['lambda:SourceFunctionArn'])).toEqual(VEND_ARNS);
    }
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

  it('sends every alarm to the one alarm topic, with an email and an HTTPS subscription when set', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(7);
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
