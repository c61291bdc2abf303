import {
  createWorker,
  enqueueClusterDay,
  JOBS,
  processorFor,
  QUEUES,
  queueOptions,
  type TickResult,
  workerConnection,
} from '@etml/queues';
import { closeOnce, type Logger } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { type Job, Queue, UnrecoverableError } from 'bullmq';
import { catchUp } from './catch-up.ts';
import { rideDateForFire } from './schedule.ts';

export const SCHEDULER_ID = 'daily-rides';

export interface SchedulerOptions {
  redisUrl: string;
  store: ObjectStore;
  pattern: string;
  tz: string;
  catchUpDays: number;
  log: Logger;
}

/**
 * Upserts the daily Job Scheduler only when the stored one differs: an upsert deletes a run
 * that is due but not yet taken, so blind upserts on every restart could drop a day.
 */
export async function ensureSchedule(queue: Queue, pattern: string, tz: string): Promise<boolean> {
  const existing = await queue.getJobScheduler(SCHEDULER_ID);
  if (existing && existing.pattern === pattern && existing.tz === tz) return false;
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { pattern, tz },
    { name: JOBS.tick.name, data: {}, opts: JOBS.tick.options },
  );
  return true;
}

/** When a scheduler job was due: its opts, or the `repeat:<id>:<millis>` id as a fallback. */
function firedAt(job: Job): number {
  const fromOpts = job.opts.prevMillis;
  if (typeof fromOpts === 'number') return fromOpts;
  const fromId = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
  if (Number.isFinite(fromId)) return fromId;
  throw new UnrecoverableError(`scheduler job ${job.id} has no fire time`);
}

/**
 * The scheduler service: the daily Job Scheduler on the `scheduler` queue, and a worker for its
 * ticks. A tick turns its scheduled fire time into the ride date (the day before, in
 * SCHEDULE_TZ), enqueues cluster-D idempotently, and catches up any missed days.
 */
export async function createScheduler(options: SchedulerOptions) {
  const { log } = options;
  const connection = workerConnection(options.redisUrl);
  const schedulerQueue = new Queue(QUEUES.scheduler, queueOptions(connection));
  const clusterQueue = new Queue(QUEUES.cluster, queueOptions(connection));
  for (const queue of [schedulerQueue, clusterQueue]) {
    queue.on('error', error =>
      log.error('queue error', { queue: queue.name, error: error.message }),
    );
  }
  const catchUpDeps = {
    clusterQueue,
    store: options.store,
    redis: connection,
    pattern: options.pattern,
    tz: options.tz,
    days: options.catchUpDays,
    log,
  };
  const changed = await ensureSchedule(schedulerQueue, options.pattern, options.tz);
  log.info(changed ? 'schedule set' : 'schedule unchanged', {
    cron: options.pattern,
    tz: options.tz,
  });
  const caughtUp = await catchUp(catchUpDeps);
  const worker = createWorker(
    QUEUES.scheduler,
    [
      processorFor(JOBS.tick, async (job): Promise<TickResult> => {
        const fired = firedAt(job);
        const date = rideDateForFire(fired, options.tz);
        const cluster = await enqueueClusterDay(clusterQueue, date);
        await job.log(
          `ride date ${date}: ${cluster.jobId} ${cluster.added ? 'enqueued' : cluster.state}`,
        );
        const missed = await catchUp(catchUpDeps);
        return { fired, date, cluster, caughtUp: missed };
      }),
    ],
    { connection, log, concurrency: 1, maxStartedAttempts: 20 },
  );
  return {
    worker,
    caughtUp,
    close: closeOnce(async () => {
      await worker.close();
      await Promise.all([schedulerQueue.close(), clusterQueue.close()]);
      connection.disconnect();
    }),
  };
}
