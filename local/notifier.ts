/**
 * Local mode's stand-in for the audit table's stream (dynalite has no streams): polls today's and
 * yesterday's partitions of the per-day index for new records and hands them to the same
 * notifyRecords the notify function (and, for Slack, the slackNotify function) runs, retrying failed
 * deliveries with backoff. Also runs the break-glass review reminder. Never used in a deployment.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { recordsOfDaySince } from '../lib/adapters/audit-query.ts';
import type { AuditTable } from '../lib/adapters/audit-table.ts';
import { loadCatalog } from '../lib/adapters/catalog-file.ts';
import type { Channels } from '../lib/adapters/notify.ts';
import { type Config, parseConfig } from '../lib/config.ts';
import { toApiTime } from '../lib/core/time.ts';
import { slackNotifyDeps, slackPoster } from '../lib/deps.ts';
import { type NotifyDeps, notifyRecords, remindUnreviewed } from '../lib/use-cases/notify.ts';
import type { SlackNotifyDeps } from '../lib/use-cases/slack-notify.ts';
import type { LocalStack } from './stack.ts';

export interface LocalNotifierOptions {
  audit: AuditTable;
  channels: Channels;
  /** Slack's messages with buttons (the Slack fake, in npm start), as the notify function posts them. */
  slack?: SlackNotifyDeps | undefined;
  publicUrl?: string;
  intervalMs?: number;
  reminderAfterMinutes: number;
}

export interface LocalNotifier {
  /** One polling round (tests call it directly). */
  tick(): Promise<void>;
  stop(): void;
}

/**
 * One consumer of the records, as on AWS each stream consumer is: its own queue, retries and backoff,
 * so that one channel failing holds back only its own deliveries.
 */
function lane(deps: NotifyDeps) {
  const queue: Array<Record<string, unknown>> = [];
  let backoffUntil = 0;
  let failures = 0;
  return {
    queue,
    async deliver(): Promise<void> {
      if (queue.length === 0 || Date.now() < backoffUntil) return;
      const { failedAt } = await notifyRecords(deps, queue);
      if (failedAt === null) {
        queue.length = 0;
        failures = 0;
        return;
      }
      // Delivered ones leave the queue; the failed one is retried, with backoff, and never dropped.
      queue.splice(0, failedAt);
      failures += 1;
      backoffUntil = Date.now() + Math.min(30_000, 250 * 2 ** failures);
    },
  };
}

export function startLocalNotifier(options: LocalNotifierOptions): LocalNotifier {
  // The notify function's channels, and (as the slackNotify function, on AWS) Slack on its own.
  const lanes = [lane({ channels: options.channels, publicUrl: options.publicUrl })];
  if (options.slack)
    lanes.push(lane({ channels: {}, publicUrl: options.publicUrl, slack: slackPoster(options.slack) }));
  const seen = new Set<string>();
  let since = toApiTime(new Date(Date.now() - 60_000));
  let lastReminder = 0;

  async function poll(): Promise<void> {
    const now = new Date();
    const days = [now, new Date(now.getTime() - 86400_000)].map((d) => d.toISOString().slice(0, 10));
    const fresh: Array<Record<string, unknown>> = [];
    for (const day of days) {
      for await (const item of recordsOfDaySince(options.audit, day, since)) {
        if (!seen.has(String(item.pk))) fresh.push(item);
      }
    }
    // Oldest first, as a stream would deliver them.
    fresh.sort((a, b) => String(a.issuedAt).localeCompare(String(b.issuedAt)));
    for (const item of fresh) {
      seen.add(String(item.pk));
      for (const l of lanes) l.queue.push(item);
    }
    // Keep a minute of overlap: records of the same second may still arrive.
    since = toApiTime(new Date(now.getTime() - 60_000));
  }

  async function tick(): Promise<void> {
    await poll();
    if (Date.now() - lastReminder > 30_000) {
      lastReminder = Date.now();
      await remindUnreviewed(options.audit, new Date(), options.reminderAfterMinutes);
    }
    await Promise.all(lanes.map((l) => l.deliver()));
  }

  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .catch((error: Error) => process.stderr.write(`[notify] polling failed: ${error.message}\n`))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs ?? 1000);
  return { tick, stop: () => clearInterval(timer) };
}

/**
 * What the local notifier needs to post to the Slack fake as the notify function would: the stack's
 * Slack settings (parsed by the service's own parser), its tables and catalog, and an SSM client on
 * the local SSM with the stack's credentials. Undefined when the stack runs no Slack.
 */
export function localSlackNotifyDeps(
  stack: LocalStack,
  config: Config,
  publicUrl: string,
): SlackNotifyDeps | undefined {
  if (!stack.slack) return undefined;
  const settings = parseConfig({ ...stack.env, HALLPASS_CATALOG: config.catalogPath }).slack;
  if (!settings) return undefined;
  const credentials = {
    accessKeyId: stack.credentialsEnv.AWS_ACCESS_KEY_ID as string,
    secretAccessKey: stack.credentialsEnv.AWS_SECRET_ACCESS_KEY as string,
    ...(stack.credentialsEnv.AWS_SESSION_TOKEN
      ? { sessionToken: stack.credentialsEnv.AWS_SESSION_TOKEN }
      : {}),
  };
  const ssm = new SSMClient({ region: stack.region, endpoint: stack.env.AWS_ENDPOINT_URL_SSM, credentials });
  const catalog = loadCatalog(config.catalogPath, { maxSessionSeconds: config.maxSessionSeconds });
  const requests = {
    client: stack.dynamodb,
    tableName: stack.tables.requests,
    retentionDays: config.auditRetentionDays,
  };
  // Nothing reads metrics here: a recorder that keeps none.
  const metrics = { count: () => {}, latency: () => {}, flush: () => {} };
  return {
    ...slackNotifyDeps({ requests, catalog, config, now: () => new Date() }, settings, metrics, ssm),
    publicUrl,
  };
}
