import type { RideDate } from '@etml/domain';
import type { Queue } from 'bullmq';
import { type ClusterDayPayload, JOBS } from './catalog.ts';

export interface Enqueued {
  jobId: string;
  /** False when a job with this id already existed (in any state), so nothing was added. */
  added: boolean;
  state: string;
}

/**
 * Adds cluster-D unless it exists: enqueueing a date any number of times runs it once. The look-up
 * only tells the caller what happened; two callers racing past it are still safe, because BullMQ
 * ignores an add whose job id exists.
 */
export async function enqueueClusterDay(
  queue: Queue<ClusterDayPayload>,
  date: RideDate,
): Promise<Enqueued> {
  const spec = JOBS.clusterDay;
  const data = spec.payload.parse({ date });
  const jobId = spec.jobId(data);
  const existing = await queue.getJob(jobId);
  if (existing) return { jobId, added: false, state: await existing.getState() };
  const job = await queue.add(spec.name, data, { ...spec.options, jobId });
  return { jobId, added: true, state: await job.getState() };
}
