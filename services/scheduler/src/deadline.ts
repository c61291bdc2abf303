import { dayDueBy, keys } from '@etml/domain';
import { lateAlert, sendAlert, type WebhookOptions } from '@etml/outputs';
import { describeDayStep } from '@etml/queues';
import { type Logger, ownKeys, type RedisClient, tryLock } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { Queue } from 'bullmq';

export interface DeadlineDeps {
  clusterQueue: Queue;
  loadQueue: Queue;
  store: ObjectStore;
  redis: RedisClient;
  /** REPORT_DEADLINE, `HH:MM` in `tz`. */
  deadline: string;
  tz: string;
  alert: WebhookOptions;
  log: Logger;
}

/**
 * Once today's deadline has passed, posts a `late` alert for yesterday if it has no manifest in
 * S3, saying where its jobs are. One scheduler at a time looks (a Redis lock) and the alert's
 * mark makes it once per day, so this runs on a timer in every scheduler; with no scheduler
 * running nobody looks (the board's etml_day_late still shows it).
 */
export async function checkDeadline(deps: DeadlineDeps, now: Date) {
  const date = dayDueBy(deps.deadline, deps.tz, now);
  if (!date) return 'not due yet';
  if (await deps.store.exists(keys.manifest(date))) return 'complete';
  // Held across the post: its retries can take 7 s and more.
  const lock = await tryLock(deps.redis, ownKeys(deps.redis).deadlineLock, 5 * 60_000);
  if (!lock) return 'another scheduler is checking';
  try {
    if (await deps.redis.exists(ownKeys(deps.redis).alertSent(date, 'late'))) return 'already sent';
    const step = await describeDayStep(deps.clusterQueue, deps.loadQueue, date);
    deps.log.warn('the day is late', { date, deadline: deps.deadline, tz: deps.tz, step });
    return await sendAlert(deps.alert, deps, lateAlert(date, step, deps.deadline, deps.tz));
  } finally {
    await lock.release();
  }
}
