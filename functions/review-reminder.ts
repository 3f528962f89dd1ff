/** Scheduled: a reminder, once, for each break-glass session still unreviewed after the set time. */
import { deps } from '../lib/deps.ts';
import { log } from '../lib/log.ts';
import { remindUnreviewed } from '../lib/use-cases/notify.ts';

const d = deps();

export async function handler(): Promise<{ reminders: number }> {
  const reminders = await remindUnreviewed(d.audit, d.now(), d.config.notifications.reviewReminderMinutes);
  log.info('break-glass.reminders', { reminders });
  return { reminders };
}
