import { type RideDate, withNewTrace } from '@etml/domain';
import type { Queue } from 'bullmq';
import { type ClusterDayPayload, JOBS, type LoadDayPayload } from './catalog.ts';
import { jobIds } from './ids.ts';

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
  // Each day its own trace, whoever adds it (a tick that also catches up other days, say): its
  // load-D and summaries join it through the job's trace context.
  const job = await withNewTrace('enqueue day', { 'etml.date': date }, () =>
    queue.add(spec.name, data, { ...spec.options, jobId }),
  );
  return { jobId, added: true, state: await job.getState() };
}

/**
 * Hands a clustered day on to load-D. cluster-D runs again only when it is forced, retried or
 * recovered after a crash, and each of those means the day downstream must follow the new
 * clustering: a finished load-D is replaced, with its summarize children (their summaries stay
 * in the S3 cache, so the replacement costs no LLM calls). A load-D still in progress is left
 * alone: before it writes anything it checks which clustering it fanned out from, and fans out
 * again if that changed.
 */
export async function enqueueLoadDay(queue: Queue, date: RideDate): Promise<Enqueued> {
  const spec = JOBS.loadDay;
  const payload: LoadDayPayload = spec.payload.parse({ date });
  const jobId = spec.jobId(payload);
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed') return { jobId, added: false, state };
    try {
      await existing.remove({ removeChildren: true });
    } catch (error) {
      throw new Error(
        `cannot replace ${jobId} (${state}) while some of its summarize jobs are still running: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const job = await queue.add(spec.name, payload, { ...spec.options, jobId });
  return { jobId, added: true, state: await job.getState() };
}

/**
 * Whether a day's jobs say it is done: cluster-D completed and load-D completed (or gone). Only
 * S3's manifest says a day is done; when it is missing, jobs that say so are left from an
 * earlier run (the bucket or prefix is new, the outputs were deleted), and the day must be
 * computed again. A load-D still running or failed is not done, and not left over either.
 */
export async function jobsSayDone(cluster: Queue, load: Queue, date: RideDate): Promise<boolean> {
  if ((await cluster.getJobState(jobIds.clusterDay(date))) !== 'completed') return false;
  const loadState = await load.getJobState(jobIds.loadDay(date));
  return loadState === 'completed' || loadState === 'unknown';
}
