import { addDays, keys, type RideDate, rideDateRange } from '@etml/domain';
import { enqueueClusterDay, jobIds } from '@etml/queues';
import { type Logger, ownKeys, type RedisClient, tryLock } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { Queue } from 'bullmq';
import { lastDueRideDate } from './schedule.ts';

export interface CatchUpDeps {
  clusterQueue: Queue;
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
 * fires and the other days are skipped. So on start and on every tick the scheduler enqueues,
 * oldest first, every date of the last `days` that was due and has neither a manifest nor a
 * cluster job (in any state: a failed day waits for a person, not for a loop). One scheduler
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
      if (await deps.clusterQueue.getJob(jobIds.clusterDay(date))) continue;
      const { added } = await enqueueClusterDay(deps.clusterQueue, date);
      if (added) enqueued.push(date);
    }
    if (enqueued.length > 0) deps.log.info('caught up', { dates: enqueued.join(',') });
    return enqueued;
  } finally {
    await lock.release();
  }
}
