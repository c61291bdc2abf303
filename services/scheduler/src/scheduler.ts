import type { WebhookOptions } from '@etml/outputs';
import {
  createWorker,
  enqueueClusterDay,
  JOBS,
  processorFor,
  QUEUES,
  queueOptions,
  reportRedisError,
  type TickResult,
  workerConnection,
} from '@etml/queues';
import { closeOnce, type Logger, withLogFields } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { type Job, Queue, UnrecoverableError } from 'bullmq';
import { catchUp } from './catch-up.ts';
import { checkDeadline } from './deadline.ts';
import { rideDateForFire } from './schedule.ts';

export const SCHEDULER_ID = 'daily-rides';

export interface SchedulerOptions {
  redisUrl: string;
  store: ObjectStore;
  pattern: string;
  tz: string;
  catchUpDays: number;
  /** How often the schedule is checked and put back, and missed days caught up, regardless. */
  healMs: number;
  /** REPORT_DEADLINE, `HH:MM` in `tz`: yesterday's outputs are late after it. Unset: never. */
  deadline?: string | undefined;
  /** Where a late day is announced; without it the deadline is not checked. */
  alert?: WebhookOptions | undefined;
  /** How often the deadline is checked: every minute, unless a test shortens it. */
  deadlineCheckMs?: number;
  /** The deadline check's clock: the real one, unless a test moves it. */
  clock?: () => Date;
  log: Logger;
}

/**
 * Upserts the daily Job Scheduler only when the stored one differs or is gone, or its next run
 * is: an upsert deletes a run that is due but not yet taken, so blind upserts on every restart
 * could drop a day. A Redis that lost its data (restarted empty, failed over to a replica that
 * had not caught up, flushed) may have lost either.
 */
export async function ensureSchedule(queue: Queue, pattern: string, tz: string): Promise<boolean> {
  const existing = await queue.getJobScheduler(SCHEDULER_ID);
  if (
    existing &&
    existing.pattern === pattern &&
    existing.tz === tz &&
    // A schedule written before ticks omitted their trace context is written again, once.
    existing.template?.opts?.telemetry?.omitContext === true &&
    (await queue.getJobState(`repeat:${SCHEDULER_ID}:${existing.next}`)) !== 'unknown'
  ) {
    return false;
  }
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { pattern, tz },
    // No trace context: every tick would otherwise join the first one's trace, forever. A day
    // starts its own trace when its cluster job is added (enqueueClusterDay).
    {
      name: JOBS.tick.name,
      data: {},
      opts: { ...JOBS.tick.options, telemetry: { omitContext: true } },
    },
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
 *
 * Redis is only the work in flight: if it loses its data, the schedule is gone and nothing
 * would ever tick again. So the scheduler heals: each time its connection is ready again, and
 * every `healMs` regardless (a FLUSHALL drops no connection), it puts the schedule back if it is
 * missing and runs the catch-up, which re-runs the days that have no manifest from S3.
 */
export async function createScheduler(options: SchedulerOptions) {
  const { log } = options;
  const connection = workerConnection(options.redisUrl);
  const schedulerQueue = new Queue(QUEUES.scheduler, queueOptions(connection));
  const clusterQueue = new Queue(QUEUES.cluster, queueOptions(connection));
  const loadQueue = new Queue(QUEUES.load, queueOptions(connection));
  for (const queue of [schedulerQueue, clusterQueue, loadQueue]) {
    queue.on('error', error => reportRedisError(log, { queue: queue.name }, error));
  }
  const catchUpDeps = {
    clusterQueue,
    loadQueue,
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
  let healing: Promise<void> | undefined;
  const heal = (why: string) => {
    healing ??= (async () => {
      try {
        if (await ensureSchedule(schedulerQueue, options.pattern, options.tz)) {
          log.warn('the schedule was missing from Redis; set it again', { why });
        }
        await catchUp(catchUpDeps);
      } catch (error) {
        log.warn('could not check the schedule; trying again later', {
          why,
          error: (error as Error).message,
        });
      } finally {
        healing = undefined;
      }
    })();
    return healing;
  };
  // Attached after the first connection, so each 'ready' is a reconnection.
  const onReady = () => void heal('Redis connection ready again');
  connection.on('ready', onReady);
  const timer = setInterval(() => void heal('periodic check'), options.healMs);
  timer.unref();
  const { deadline, alert } = options;
  let checking: Promise<unknown> | undefined;
  const lookAtDeadline = () => {
    if (!deadline || !alert) return Promise.resolve('off');
    checking ??= checkDeadline(
      {
        clusterQueue,
        loadQueue,
        store: options.store,
        redis: connection,
        deadline,
        tz: options.tz,
        alert,
        log,
      },
      (options.clock ?? (() => new Date()))(),
    )
      .catch((error: Error) => {
        log.warn('could not check the report deadline; trying again later', {
          error: error.message,
        });
        return 'error';
      })
      .finally(() => {
        checking = undefined;
      });
    return checking;
  };
  const deadlineTimer = setInterval(() => void lookAtDeadline(), options.deadlineCheckMs ?? 60_000);
  deadlineTimer.unref();
  const worker = createWorker(
    QUEUES.scheduler,
    [
      processorFor(JOBS.tick, async (job): Promise<TickResult> => {
        const fired = firedAt(job);
        const date = rideDateForFire(fired, options.tz);
        // A tick's payload has no date: its lines get the one its fire time gives.
        return withLogFields({ date }, async () => {
          const cluster = await enqueueClusterDay(clusterQueue, date);
          await job.log(
            `ride date ${date}: ${cluster.jobId} ${cluster.added ? 'enqueued' : cluster.state}`,
          );
          const missed = await catchUp(catchUpDeps);
          return { fired, date, cluster, caughtUp: missed };
        });
      }),
    ],
    { connection, log, concurrency: 1, maxStartedAttempts: 20 },
  );
  return {
    worker,
    caughtUp,
    /** Checks the report deadline now, as the timer does. */
    checkDeadline: lookAtDeadline,
    close: closeOnce(async () => {
      clearInterval(timer);
      clearInterval(deadlineTimer);
      connection.off('ready', onReady);
      await worker.close();
      await healing;
      await checking;
      await Promise.all([schedulerQueue.close(), clusterQueue.close(), loadQueue.close()]);
      connection.disconnect();
    }),
  };
}
