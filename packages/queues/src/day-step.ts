import type { RideDate } from '@etml/domain';
import type { Queue } from 'bullmq';
import { summariesDone, waitingFor } from './day-status.ts';
import { jobIds } from './ids.ts';

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
