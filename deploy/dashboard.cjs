// The CloudWatch dashboard hallpass-<stage> (README "Alarms and dashboard") for serverless.yml
// (`${file(...)}`): its body is JSON in a string, built here and handed to CloudFormation as Fn::Sub,
// so that ${AWS::Region}, ${AWS::AccountId}, ${HttpApi} and the queue name resolve at deployment.
// hallpass's own metrics are read with Metrics Insights FROM custom.metricsFrom, whatever their
// dimensions; p99 latency, which Metrics Insights cannot compute, with a SEARCH of the namespace.

const PERIOD = 300;

/** A Metrics Insights query (or any expression) as a line, or several with GROUP BY, of a graph. */
const query = (id, expression, label) => [{ id, expression, label: label ?? '', period: PERIOD }];

const graph = (title, metrics, extra = {}) => ({
  type: 'metric',
  width: 12,
  height: 6,
  properties: {
    title,
    region: '${AWS::Region}',
    view: 'timeSeries',
    stacked: false,
    period: PERIOD,
    stat: 'Sum',
    metrics,
    ...extra,
  },
});

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const from = await resolveVariable('self:custom.metricsFrom');
  const namespace = await resolveVariable('self:custom.metricsNamespace');
  const prefix = `${service}-${stage}`;
  const sum = (metric) => `SELECT SUM(${metric}) FROM ${from}`;
  const api = (metric, label) => ['AWS/ApiGateway', metric, 'ApiId', '${HttpApi}', { label }];
  const vend = (metric, fn = 'credentials') => [
    'AWS/Lambda',
    metric,
    'FunctionName',
    `${prefix}-${fn}`,
    { label: fn === 'credentials' ? metric : `${metric} (console)` },
  ];
  const alarms = [
    'audit-tampered',
    'audit-write-failed',
    'break-glass-used',
    'break-glass-unreviewed',
    'upstream-errors',
    '5xx-rate',
    'notification-dead-letters',
    'jwks-refresh-failing',
  ].map((name) => `arn:aws:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${prefix}-${name}`);

  const widgets = [
    {
      type: 'alarm',
      width: 24,
      height: 3,
      properties: { title: 'Alarms (all notify the security-alarms topic)', alarms },
    },
    graph('Credentials issued, by path (direct, approved, break-glass)', [
      query('issued', `${sum('CredentialsIssued')} GROUP BY Path`),
    ]),
    graph('Break glass: sessions issued, reminders of unreviewed ones', [
      query('breakglass', sum('BreakGlassIssued'), 'BreakGlassIssued'),
      query('reminders', sum('BreakGlassReminders'), 'BreakGlassReminders'),
    ]),
    graph('Refusals, by code', [query('refused', `${sum('Refused')} GROUP BY Code`)]),
    graph('Requests decided, by decision', [query('decided', `${sum('RequestDecided')} GROUP BY Decision`)]),
    graph('API requests, 4xx and 5xx', [api('Count', 'requests'), api('4xx', '4xx'), api('5xx', '5xx')]),
    graph('Server errors (hallpass), by code', [
      query('servererrors', `${sum('ServerErrors')} GROUP BY Code`),
    ]),
    graph('Upstream errors, by dependency', [
      query('upstream', `${sum('UpstreamError')} GROUP BY Dependency`),
    ]),
    graph(
      'Upstream latency p99 (ms), by dependency and operation',
      [
        query(
          'latency',
          `SEARCH('Namespace="${namespace}" MetricName="UpstreamLatency" service="${prefix}"', 'p99', ${PERIOD})`,
        ),
      ],
      { stat: 'p99' },
    ),
    graph('Audit write and notification failures', [
      query('auditfailed', sum('AuditWriteFailed'), 'AuditWriteFailed'),
      query('notifyfailed', `${sum('NotificationFailed')} GROUP BY Channel`),
    ]),
    graph(
      'Notification dead-letter queue depth',
      [
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          '${NotificationDeadLetters.QueueName}',
          { label: 'messages' },
        ],
      ],
      { stat: 'Maximum' },
    ),
    graph('Vend functions (credentials, console): errors, throttles, concurrency', [
      vend('Errors'),
      vend('Throttles'),
      [...vend('ConcurrentExecutions').slice(0, 4), { label: 'ConcurrentExecutions', stat: 'Maximum' }],
      vend('Errors', 'console'),
      vend('Throttles', 'console'),
      [
        ...vend('ConcurrentExecutions', 'console').slice(0, 4),
        { label: 'ConcurrentExecutions (console)', stat: 'Maximum' },
      ],
    ]),
  ];

  // Laid out in order, two graphs to a row of the 24-unit grid.
  let x = 0;
  let y = 0;
  for (const widget of widgets) {
    Object.assign(widget, { x, y });
    x += widget.width;
    if (x >= 24) {
      x = 0;
      y += widget.height;
    }
  }
  return { body: { 'Fn::Sub': JSON.stringify({ widgets }) } };
};
