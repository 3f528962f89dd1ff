/**
 * Local mode's stand-in for the audit table's stream (dynalite has no streams): polls today's and
 * yesterday's partitions of the per-day index for new records and hands them to the same
 * notifyRecords the notify function runs, retrying failed deliveries with backoff. Also runs the
 * break-glass review reminder. Never used in a deployment.
 */
import { recordsOfDaySince } from '../lib/adapters/audit-query.ts';
import type { AuditTable } from '../lib/adapters/audit-table.ts';
import type { Channels } from '../lib/adapters/notify.ts';
import { toApiTime } from '../lib/core/time.ts';
import { type NotifyDeps, notifyRecords, remindUnreviewed } from '../lib/use-cases/notify.ts';

export interface LocalNotifierOptions {
  audit: AuditTable;
  channels: Channels;
  publicUrl?: string;
  intervalMs?: number;
  reminderAfterMinutes: number;
}

export interface LocalNotifier {
  /** One polling round (tests call it directly). */
  tick(): Promise<void>;
  stop(): void;
}

export function startLocalNotifier(options: LocalNotifierOptions): LocalNotifier {
  const deps: NotifyDeps = { channels: options.channels, publicUrl: options.publicUrl };
  const seen = new Set<string>();
  const queue: Array<Record<string, unknown>> = [];
  let since = toApiTime(new Date(Date.now() - 60_000));
  let backoffUntil = 0;
  let failures = 0;
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
      queue.push(item);
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
