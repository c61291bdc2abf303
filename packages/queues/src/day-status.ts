import type { RideDate } from '@etml/domain';
import type { Job, Queue } from 'bullmq';
import { type LoadDayResult, WAITING_FOR_RAW, type WaitingForRawProgress } from './catalog.ts';
import { jobIds } from './ids.ts';

/** Where a day stands in the queues, for the CLI's progress displays and the board's reports. */

export interface DayQueues {
  cluster: Queue;
  load: Queue;
  summarize: Queue;
}

/** Where a day stands, for progress displays. */
export type DayProgress =
  | {
      step: 'cluster';
      state: string;
      phase?: string;
      rows?: number;
      /** Set while cluster-D is delayed because its raw input has not arrived. */
      waiting?: { key: string; nextCheckAt: number };
    }
  | { step: 'summarize'; state: string; done: number; failed: number; total: number }
  | { step: 'load'; state: string; rows?: number };

/** A step of the day failed for good: exit 1 with the step and its reason. */
export class StepFailed extends Error {
  constructor(jobId: string, reason: string) {
    super(`${jobId} failed: ${reason}`);
    this.name = 'StepFailed';
  }
}

/** cluster-D's own account of its wait, if it is waiting for raw input. */
export function waitingFor(
  state: string,
  progress: unknown,
): { key: string; nextCheckAt: number } | undefined {
  const waiting = progress as Partial<WaitingForRawProgress> | undefined;
  // A promoted job keeps its old progress until it reports anew: only a delayed job still waits.
  if (state !== 'delayed' || waiting?.phase !== WAITING_FOR_RAW) return undefined;
  if (typeof waiting.key !== 'string' || typeof waiting.nextCheckAt !== 'number') return undefined;
  return { key: waiting.key, nextCheckAt: waiting.nextCheckAt };
}

interface Progress {
  phase?: string;
  rows?: number;
  children?: number;
  of?: number;
}

/** One look at a day: its result once load-D is done, or where it stands. */
export type DayLook =
  | { result: LoadDayResult }
  | { progress: DayProgress /** The job the day waits on. */; jobId: string };

/** Looks at a day once. Throws StepFailed for the step that failed. */
export async function lookAtDay(queues: DayQueues, date: RideDate): Promise<DayLook> {
  const clusterId = jobIds.clusterDay(date);
  const loadId = jobIds.loadDay(date);
  const cluster = await queues.cluster.getJob(clusterId);
  if (!cluster) throw new StepFailed(clusterId, 'the job is not in the queue');
  const clusterState = await cluster.getState();
  if (clusterState === 'failed') throw new StepFailed(clusterId, cluster.failedReason);
  if (clusterState !== 'completed') {
    const progress = (cluster.progress ?? {}) as Progress;
    const waiting = waitingFor(clusterState, progress);
    return {
      jobId: clusterId,
      progress: {
        step: 'cluster',
        state: clusterState,
        // A promoted job shows its state until it reports anew, not its old wait.
        phase: progress.phase === WAITING_FOR_RAW && !waiting ? undefined : progress.phase,
        rows: progress.rows,
        ...(waiting ? { waiting } : {}),
      },
    };
  }
  const load = await queues.load.getJob(loadId);
  if (!load) {
    throw new StepFailed(loadId, `the job is not in the queue though ${clusterId} is done`);
  }
  const loadState = await load.getState();
  if (loadState === 'completed') {
    // Fetched just before it completed, the job has no return value yet: read it again.
    const result = (load.returnvalue ?? (await queues.load.getJob(loadId))?.returnvalue) as
      | LoadDayResult
      | null
      | undefined;
    if (result) return { result };
    return { jobId: loadId, progress: { step: 'load', state: loadState } };
  }
  if (loadState === 'failed') throw new StepFailed(loadId, load.failedReason);
  const progress = (load.progress ?? {}) as Progress;
  if (progress.phase === 'writing') {
    return { jobId: loadId, progress: { step: 'load', state: loadState, rows: progress.rows } };
  }
  return {
    jobId: loadId,
    progress: { step: 'summarize', state: loadState, ...(await summariesDone(load)) },
  };
}

/** How many of load-D's summaries are done (failed ones too), of how many, while it waits for them. */
export async function summariesDone(
  load: Job,
): Promise<{ done: number; failed: number; total: number }> {
  const counts = await load.getDependenciesCount();
  const failed = (counts.ignored ?? 0) + (counts.failed ?? 0);
  const done = (counts.processed ?? 0) + failed;
  // Before the fan-out has added them all, its progress says how many there will be.
  const of = (load.progress as { of?: number } | undefined)?.of ?? 0;
  return { done, failed, total: Math.max(done + (counts.unprocessed ?? 0), of) };
}
