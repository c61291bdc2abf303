import { addDays, keys, type RideDate, rideDateRange } from '@etml/domain';
import { enqueueClusterDay, jobIds, jobsSayDone } from '@etml/queues';
import { type Logger, ownKeys, type RedisClient, tryLock } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { Queue } from 'bullmq';
import { lastDueRideDate } from './schedule.ts';

export interface CatchUpDeps {
  clusterQueue: Queue;
  loadQueue: Queue;
  store: ObjectStore;
  redis: RedisClient;
  pattern: string;
  tz: string;
  /** How many ride dates back, up to the last one due, are checked. 0 turns catch-up off. */
  days: number;
  log: Logger;
}

/**
 * BullMQ's Job Schedulers do not catch up: after three days with no worker, one overdue run
 * fires and the other days are skipped. So on start, on every tick and whenever the scheduler
 * heals (see createScheduler), it enqueues, oldest first, every date of the last `days` that
 * was due and has no manifest, unless a cluster job for it is waiting, running or failed (a
 * failed day waits for a person, not for a loop). A day whose jobs say done without a manifest
 * is computed again: only S3 says a day is done, and Redis may hold jobs of an earlier run.
 * After Redis lost its data, "no manifest, no job" re-runs the lost days from S3. One scheduler
 * at a time does this (a Redis lock); the deterministic job ids would stop a double enqueue
 * anyway. Returns the dates enqueued.
 */
export async function catchUp(deps: CatchUpDeps, now = new Date()): Promise<RideDate[]> {
  if (deps.days === 0) return [];
  const lock = await tryLock(deps.redis, ownKeys(deps.redis).catchUpLock, 60_000);
  if (!lock) return [];
  try {
    const last = lastDueRideDate(deps.pattern, deps.tz, now);
    const enqueued: RideDate[] = [];
    for (const date of rideDateRange(addDays(last, 1 - deps.days), last)) {
      if (await deps.store.exists(keys.manifest(date))) continue;
      const existing = await deps.clusterQueue.getJob(jobIds.clusterDay(date));
      if (existing) {
        if (!(await jobsSayDone(deps.clusterQueue, deps.loadQueue, date))) continue;
        deps.log.warn('a day whose jobs say done has no manifest; computing it again', { date });
        await existing.remove();
      }
      const { added } = await enqueueClusterDay(deps.clusterQueue, date);
      if (added) enqueued.push(date);
    }
    if (enqueued.length > 0) deps.log.info('caught up', { dates: enqueued.join(',') });
    return enqueued;
  } finally {
    await lock.release();
  }
}
