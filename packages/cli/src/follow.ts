import type { RideDate } from '@etml/domain';
import type { LoadDayResult } from '@etml/queues';
import { enqueueClusterDay, jobIds, producerConnection, QUEUES } from '@etml/queues';
import { Queue } from 'bullmq';

export interface DayQueues {
  cluster: Queue;
  load: Queue;
  summarize: Queue;
}

/** The day's queues on one fail-fast connection, closed when `use` ends. */
export async function withDayQueues<T>(
  redisUrl: string,
  use: (queues: DayQueues) => Promise<T>,
): Promise<T> {
  const connection = await producerConnection(redisUrl);
  const queues: DayQueues = {
    cluster: new Queue(QUEUES.cluster, { connection }),
    load: new Queue(QUEUES.load, { connection }),
    summarize: new Queue(QUEUES.summarize, { connection }),
  };
  try {
    return await use(queues);
  } finally {
    await Promise.all(Object.values(queues).map(q => q.close()));
    connection.disconnect();
  }
}

/** Where a day stands, for progress displays. */
export type DayProgress =
  | { step: 'cluster'; state: string; phase?: string; rows?: number }
  | { step: 'summarize'; state: string; done: number; failed: number; total: number }
  | { step: 'load'; state: string; rows?: number };

/** A step of the day failed for good: exit 1 with the step and its reason. */
export class StepFailed extends Error {
  constructor(jobId: string, reason: string) {
    super(`${jobId} failed: ${reason}`);
    this.name = 'StepFailed';
  }
}

/**
 * Enqueues cluster-D. Without force this is idempotent: a day that is queued, running or done is
 * left as it is. With force a finished cluster-D is replaced, which replaces the day's load-D
 * and summaries too (the cluster step hands the new clustering on).
 */
export async function startDay(queues: DayQueues, date: RideDate, force: boolean) {
  const id = jobIds.clusterDay(date);
  const existing = await queues.cluster.getJob(id);
  const state = existing ? await existing.getState() : 'missing';
  if (existing && force && (state === 'completed' || state === 'failed')) {
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
  return enqueueClusterDay(queues.cluster, date);
}

interface Progress {
  phase?: string;
  rows?: number;
  children?: number;
  of?: number;
}

/**
 * Follows a day until load-D completes, by polling Redis (a follower that starts late, or
 * reconnects, sees the same thing). Throws StepFailed for the step that failed.
 */
export async function followDay(
  queues: DayQueues,
  date: RideDate,
  options: { onProgress: (progress: DayProgress) => void; pollMs?: number; timeoutMs: number },
): Promise<LoadDayResult> {
  const clusterId = jobIds.clusterDay(date);
  const loadId = jobIds.loadDay(date);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const cluster = await queues.cluster.getJob(clusterId);
    const clusterState = cluster ? await cluster.getState() : 'missing';
    if (!cluster) throw new StepFailed(clusterId, 'the job is not in the queue');
    if (clusterState === 'failed') throw new StepFailed(clusterId, cluster.failedReason);
    if (clusterState !== 'completed') {
      const progress = (cluster.progress ?? {}) as Progress;
      options.onProgress({
        step: 'cluster',
        state: clusterState,
        phase: progress.phase,
        rows: progress.rows,
      });
    } else {
      const load = await queues.load.getJob(loadId);
      if (!load) {
        throw new StepFailed(loadId, `the job is not in the queue though ${clusterId} is done`);
      }
      const loadState = await load.getState();
      if (loadState === 'completed') return load.returnvalue as LoadDayResult;
      if (loadState === 'failed') throw new StepFailed(loadId, load.failedReason);
      const progress = (load.progress ?? {}) as Progress;
      if (progress.phase === 'writing') {
        options.onProgress({ step: 'load', state: loadState, rows: progress.rows });
      } else {
        const counts = await load.getDependenciesCount();
        const done = (counts.processed ?? 0) + (counts.ignored ?? 0) + (counts.failed ?? 0);
        const pending = counts.unprocessed ?? 0;
        options.onProgress({
          step: 'summarize',
          state: loadState,
          done,
          failed: (counts.ignored ?? 0) + (counts.failed ?? 0),
          total: Math.max(done + pending, progress.of ?? 0),
        });
      }
    }
    if (Date.now() > deadline) {
      throw new StepFailed(
        clusterState === 'completed' ? loadId : clusterId,
        `not finished after ${Math.round(options.timeoutMs / 60_000)} min (still running; follow it with etml run again)`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, options.pollMs ?? 500));
  }
}
