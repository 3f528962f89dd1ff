/** Scheduled: a reminder, once, for each break-glass session still unreviewed after the set time. */
import { LogEvent } from '../lib/audit-events.ts';
import { containerDeps } from '../lib/deps.ts';
import { log } from '../lib/log.ts';
import { remindUnreviewed } from '../lib/use-cases/notify.ts';

const deps = containerDeps();

export async function handler(): Promise<{ reminders: number }> {
  try {
    const reminders = await remindUnreviewed(
      deps.audit,
      deps.now(),
      deps.config.notifications.reviewReminderMinutes,
    );
    log.info(LogEvent.breakGlassReminders, { reminders });
    // Zero too: the alarm on reminders sees a run that found nothing, not a gap.
    deps.metrics.count('BreakGlassReminders', {}, reminders);
    return { reminders };
  } finally {
    deps.metrics.flush();
  }
}
