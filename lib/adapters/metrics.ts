/**
 * CloudWatch metrics as Embedded Metric Format lines on stdout. CloudWatch Logs turns each line into
 * metrics: no API call, no permission, nothing on the request path but a JSON line at the end of the
 * invocation.
 *
 * One EMF line carries one value per dimension, so the values of an invocation are kept grouped by
 * their dimensions and each group is one line at `flush()`: a direct vend prints three (AssumeRole's
 * and PutItem's latency, CredentialsIssued). Every dimension set starts with `service`
 * (`hallpass-<stage>` when deployed, `hallpass` locally: see metricsService in lib/config.ts): a metric
 * with dimensions `Code` is published with the set [service, Code], one with none with [service].
 * Dimension values come from closed lists or the catalog (an entitlement id), never from a caller: no
 * principal, id, key or free text.
 *
 * The lines are written here rather than by Powertools Metrics, which wrote exactly these lines
 * (same keys, same order) but cost every bundle about 16 KB and its cold start a few ms (README
 * "Metrics"). The EMF rules kept: at most 100 values per metric and 100 metrics per line (a larger
 * group is split over several lines), and a dimension with an empty value is left out.
 */
import { metricsService } from '../config.ts';
import { monotonicMs } from '../core/time.ts';

export const METRICS_NAMESPACE = 'hallpass';

/** The dependencies whose calls are timed and whose failures are counted. */
export type Dependency = 'sts' | 'dynamodb' | 'jwks' | 'kms' | 'federation' | 'iam' | 'ssm' | 'slack';

/** What came of one signed Slack request. */
export type SlackOutcome =
  | 'approved'
  | 'denied'
  | 'refused'
  | 'unlinked'
  | 'stale-groups'
  | 'replayed'
  | 'bad-signature'
  | 'command';

/** How a vend was granted, as the `Path` dimension says it. */
export type VendPath = 'direct' | 'approved' | 'break-glass';

/** Each counted metric and its dimensions: the names the alarms and the dashboard use. */
export interface CountMetrics {
  CredentialsIssued: { Entitlement: string; Path: VendPath };
  /** Console sign-in URLs handed out (each also counts as a CredentialsIssued). */
  ConsoleSignIns: { Entitlement: string };
  BreakGlassIssued: Record<string, never>;
  /** Every 4xx answer, by API error code. */
  Refused: { Code: string };
  /** Every 5xx answer: internal or upstream_unavailable. */
  ServerErrors: { Code: string };
  RequestDecided: { Decision: 'approved' | 'denied' | 'cancelled' };
  AuditWriteFailed: Record<string, never>;
  UpstreamError: { Dependency: Dependency };
  NotificationFailed: { Channel: 'eventbridge' | 'webhook' | 'slack' };
  /** Slack interactions and commands, by what came of them (README "Slack"). */
  SlackInteractions: { Outcome: SlackOutcome };
  BreakGlassReminders: Record<string, never>;
}

export type CountMetric = keyof CountMetrics;

export interface Metrics {
  /** Adds `value` (1 unless given) to a Count metric. */
  count<N extends CountMetric>(name: N, dimensions: CountMetrics[N], value?: number): void;
  /** Records how long one call to a dependency took (UpstreamLatency, milliseconds). */
  latency(dependency: Dependency, operation: string, ms: number): void;
  /** Prints what was recorded since the last flush, one EMF line per dimension set, and forgets it. */
  flush(): void;
}

type Unit = 'Count' | 'Milliseconds';

interface Group {
  dimensions: Record<string, string>;
  values: Map<string, { unit: Unit; values: number[] }>;
}

/** EMF's limits: values in one metric's array, metrics in one line. */
const MAX_VALUES = 100;
const MAX_METRICS = 100;

/**
 * One group as EMF lines: `_aws` first, then the dimensions (service first), then each metric's value
 * (a number, or an array when it has several), as CloudWatch's EMF specification lays them out.
 */
function emfLines(service: string, group: Group, timestamp: number): string[] {
  const dimensions: Record<string, string> = { service };
  for (const [name, value] of Object.entries(group.dimensions)) if (value !== '') dimensions[name] = value;
  const set = Object.keys(dimensions);
  // Split into chunks of at most MAX_VALUES values per metric and MAX_METRICS metrics per line.
  const chunks: Array<Array<[string, Unit, number[]]>> = [];
  let chunk: Array<[string, Unit, number[]]> = [];
  for (const [name, { unit, values }] of group.values) {
    for (let at = 0; at < values.length; at += MAX_VALUES) {
      if (chunk.length === MAX_METRICS || chunk.some(([n]) => n === name)) {
        chunks.push(chunk);
        chunk = [];
      }
      chunk.push([name, unit, values.slice(at, at + MAX_VALUES)]);
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks.map((metrics) => {
    const line: Record<string, unknown> = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [set],
            Metrics: metrics.map(([name, unit]) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      ...dimensions,
    };
    for (const [name, , values] of metrics) line[name] = values.length === 1 ? values[0] : values;
    return JSON.stringify(line);
  });
}

/** The container's metrics (lib/deps.ts builds one): values kept per invocation, printed at flush. */
export function createMetrics(): Metrics {
  const service = metricsService();
  const groups = new Map<string, Group>();

  const record = (name: string, unit: Unit, dimensions: Record<string, string>, value: number) => {
    // Dimension objects are small and written in a fixed order by their callers.
    const key = JSON.stringify(dimensions);
    let group = groups.get(key);
    if (!group) {
      group = { dimensions, values: new Map() };
      groups.set(key, group);
    }
    const metric = group.values.get(name);
    if (metric) metric.values.push(value);
    else group.values.set(name, { unit, values: [value] });
  };

  return {
    count: (name, dimensions, value = 1) => record(name, 'Count', dimensions, value),
    latency: (dependency, operation, ms) =>
      record(
        'UpstreamLatency',
        'Milliseconds',
        { Dependency: dependency, Operation: operation },
        Math.round(ms * 100) / 100,
      ),
    flush: () => {
      if (groups.size === 0) return;
      try {
        const timestamp = Date.now();
        // Straight to stdout, not through console (Lambda's console prefixes each line with the time
        // and request id), one write per line: each is one log event, as CloudWatch reads EMF.
        for (const group of groups.values()) {
          for (const line of emfLines(service, group, timestamp)) process.stdout.write(`${line}\n`);
        }
      } finally {
        groups.clear();
      }
    },
  };
}

let container: Metrics | undefined;

/**
 * The container's one instance, built on first use (lib/deps.ts hands it out as `metrics()`; the
 * route stack takes it from here so that routes without deps need not bundle deps.ts).
 */
export function containerMetrics(): Metrics {
  container ??= createMetrics();
  return container;
}

/** The slice of an AWS SDK v3 client that instrumentClient needs. */
interface SdkClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

// Answers, not failures: a conditional write that lost is how hallpass learns of a race.
const ANSWERS = new Set(['ConditionalCheckFailedException']);

/**
 * Times every call the client makes (UpstreamLatency, by operation) and counts the failed ones
 * (UpstreamError). The middleware sits at the initialize step, outside the SDK's retries: one value
 * per call, retries included.
 */
export function instrumentClient<C>(client: C, dependency: Dependency, metrics: Metrics): C {
  (client as SdkClient).middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const started = monotonicMs();
      try {
        const output = await next(args);
        metrics.latency(dependency, operation, monotonicMs() - started);
        return output;
      } catch (error) {
        metrics.latency(dependency, operation, monotonicMs() - started);
        if (!ANSWERS.has((error as { name?: string }).name ?? ''))
          metrics.count('UpstreamError', { Dependency: dependency });
        throw error;
      }
    },
    { step: 'initialize', name: 'hallpassMetrics' },
  );
  return client;
}
