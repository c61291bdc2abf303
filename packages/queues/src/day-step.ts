import type { RideDate } from '@etml/domain';
import type { Job, Queue } from 'bullmq';
import { WAITING_FOR_RAW, type WaitingForRawProgress } from './catalog.ts';
import { jobIds } from './ids.ts';

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

/** Where a day's jobs are, in words a person reads: for an alert that the day is late. */
export async function describeDayStep(
  cluster: Queue,
  load: Queue,
  date: RideDate,
): Promise<string> {
  const clusterJob = await cluster.getJob(jobIds.clusterDay(date));
  if (!clusterJob) return 'nothing was enqueued for it';
  const clusterState = await clusterJob.getState();
  if (clusterState === 'failed') return `the cluster step failed: ${clusterJob.failedReason}`;
  if (clusterState !== 'completed') {
    const waiting = waitingFor(clusterState, clusterJob.progress);
    if (waiting) return `waiting for raw data at ${waiting.key}`;
    return clusterState === 'active' ? 'clustering' : `clustering (the job is ${clusterState})`;
  }
  const loadJob = await load.getJob(jobIds.loadDay(date));
  if (!loadJob) return `clustered, but its load step is not in the queue`;
  const loadState = await loadJob.getState();
  if (loadState === 'failed') return `the load step failed: ${loadJob.failedReason}`;
  if (loadState === 'completed') return 'loaded, but its manifest is not in S3';
  if (loadState === 'waiting-children') {
    const { done, total } = await summariesDone(loadJob);
    return `summarizing ${done} of ${total}`;
  }
  return loadState === 'active' ? 'loading' : `loading (the job is ${loadState})`;
}
