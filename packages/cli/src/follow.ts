import { keys, type RideDate } from '@etml/domain';
import {
  type DayProgress,
  type DayQueues,
  enqueueClusterDay,
  jobIds,
  jobsSayDone,
  type LoadDayResult,
  lookAtDay,
  producerConnection,
  promoteClusterDay,
  QUEUES,
  queueOptions,
  StepFailed,
} from '@etml/queues';
import { createLogger, startTracing } from '@etml/runtime';
import { findRawInputs, type ObjectStore } from '@etml/storage';
import { Queue } from 'bullmq';
import type { CliEnv } from './env.ts';

export { type DayProgress, type DayQueues, StepFailed, waitingFor } from '@etml/queues';

/**
 * The day's queues on one fail-fast connection, closed when `use` ends. With `traced` set up for
 * it (OTEL_EXPORTER_OTLP_ENDPOINT), a day enqueued meanwhile starts its trace here, and the spans
 * are sent before this returns.
 */
export async function withDayQueues<T>(
  redisUrl: string,
  use: (queues: DayQueues) => Promise<T>,
  traced?: Pick<CliEnv, 'tracing' | 'log'>,
): Promise<T> {
  // Before the queues: each takes its telemetry when it is built.
  const tracing =
    traced?.tracing &&
    (await startTracing(traced.tracing, 'etml', {
      secrets: traced.log.secrets,
      log: createLogger('etml', undefined, traced.log),
    }));
  try {
    return await useDayQueues(redisUrl, use);
  } finally {
    await tracing?.close();
  }
}

async function useDayQueues<T>(
  redisUrl: string,
  use: (queues: DayQueues) => Promise<T>,
): Promise<T> {
  const connection = await producerConnection(redisUrl);
  const queues: DayQueues = {
    cluster: new Queue(QUEUES.cluster, queueOptions(connection)),
    load: new Queue(QUEUES.load, queueOptions(connection)),
    summarize: new Queue(QUEUES.summarize, queueOptions(connection)),
  };
  try {
    return await use(queues);
  } finally {
    await Promise.all(Object.values(queues).map(q => q.close()));
    connection.disconnect();
  }
}

/**
 * Enqueues cluster-D. Without force this is idempotent: a day that is queued, running or done is
 * left as it is. With force a finished cluster-D is replaced, which replaces the day's load-D
 * and summaries too (the cluster step hands the new clustering on). Done means a manifest in
 * S3: jobs that say done without one are left from an earlier run (a new bucket or prefix,
 * deleted outputs), so that day is computed again as if forced. A cluster-D that is waiting
 * for raw input which is there by now starts at once rather than at its next check.
 */
export async function startDay(
  queues: DayQueues,
  store: ObjectStore,
  date: RideDate,
  force: boolean,
) {
  const id = jobIds.clusterDay(date);
  const existing = await queues.cluster.getJob(id);
  const state = existing ? await existing.getState() : 'missing';
  const recomputed =
    !force &&
    state === 'completed' &&
    !(await store.exists(keys.manifest(date))) &&
    (await jobsSayDone(queues.cluster, queues.load, date));
  if (existing && (force || recomputed) && (state === 'completed' || state === 'failed')) {
    // Recomputing under a load that is still summarizing the old clustering would mix the two.
    const load = await queues.load.getJob(jobIds.loadDay(date));
    const loadState = load ? await load.getState() : 'missing';
    if (load && loadState !== 'completed' && loadState !== 'failed') {
      throw new StepFailed(
        jobIds.loadDay(date),
        `cannot force ${date} while its load step is still ${loadState}; let it finish, then rerun with --force`,
      );
    }
    await existing.remove();
  }
  const enqueued = await enqueueClusterDay(queues.cluster, date);
  if (enqueued.state !== 'delayed' || (await findRawInputs(store, date)).length === 0) {
    return { ...enqueued, promoted: false, recomputed };
  }
  const promotion = await promoteClusterDay(queues.cluster, date);
  return { ...enqueued, state: promotion.state, promoted: promotion.promoted, recomputed };
}

/** What startDay did, for a line of output: "enqueued", "already there (completed)", … */
export function startedNote(
  started: { added: boolean; promoted: boolean; recomputed?: boolean },
  state: string,
): string {
  if (started.promoted) return 'was waiting for its raw input, which is there now: started it';
  if (started.recomputed && started.added) {
    return 'its jobs said done but it has no manifest in S3: enqueued it again';
  }
  return started.added ? 'enqueued' : state;
}

/** "HH:MM" in SCHEDULE_TZ; "HH:MM UTC" when that is UTC (the default), so a reader elsewhere is not misled. */
export function clockTime(ms: number, tz: string): string {
  const time = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: tz,
  }).format(ms);
  return tz === 'UTC' ? `${time} UTC` : time;
}

export function describeWaiting(waiting: { key: string; nextCheckAt: number }, tz: string): string {
  return `waiting for raw input ${waiting.key}, next check at ${clockTime(waiting.nextCheckAt, tz)}`;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Follows a day until load-D completes, by polling Redis (a follower that starts late, or
 * reconnects, sees the same thing). Throws StepFailed for the step that failed.
 */
export async function followDay(
  queues: DayQueues,
  date: RideDate,
  options: { onProgress: (progress: DayProgress) => void; pollMs?: number; timeoutMs: number },
): Promise<LoadDayResult> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const look = await lookAtDay(queues, date);
    if ('result' in look) return look.result;
    options.onProgress(look.progress);
    if (Date.now() > deadline) {
      throw new StepFailed(
        look.jobId,
        `not finished after ${Math.round(options.timeoutMs / 60_000)} min (still running; follow it with etml run again)`,
      );
    }
    await sleep(options.pollMs ?? 500);
  }
}

/** How a followed day ended. */
export type DayOutcome = { date: RideDate } & ({ result: LoadDayResult } | { failed: StepFailed });

/**
 * Follows every day of a range until each is done or has failed, looking at all of them on each
 * round, so days that finish out of order count at once. `onProgress` gets the days finished so
 * far and where the oldest unfinished day stands.
 */
export async function followDays(
  queues: DayQueues,
  dates: RideDate[],
  options: {
    onProgress: (finished: number, current?: { date: RideDate; progress: DayProgress }) => void;
    pollMs?: number;
    timeoutMs: number;
  },
): Promise<DayOutcome[]> {
  const deadline = Date.now() + options.timeoutMs;
  const outcomes = new Map<RideDate, DayOutcome>();
  for (;;) {
    let current: { date: RideDate; progress: DayProgress } | undefined;
    for (const date of dates) {
      if (outcomes.has(date)) continue;
      try {
        const look = await lookAtDay(queues, date);
        if ('result' in look) outcomes.set(date, { date, result: look.result });
        else current ??= { date, progress: look.progress };
      } catch (error) {
        if (!(error instanceof StepFailed)) throw error;
        outcomes.set(date, { date, failed: error });
      }
    }
    options.onProgress(outcomes.size, current);
    if (outcomes.size === dates.length) return dates.map(date => outcomes.get(date) as DayOutcome);
    if (Date.now() > deadline) {
      const open = dates.filter(date => !outcomes.has(date));
      throw new StepFailed(
        jobIds.clusterDay(open[0] as RideDate),
        `not finished after ${Math.round(options.timeoutMs / 60_000)} min, with ${open.length} of ${dates.length} days still running (${open.join(', ')})`,
      );
    }
    await sleep(options.pollMs ?? 500);
  }
}
