import type { RideDate } from '@etml/domain';
import type { Queue } from 'bullmq';
import { jobIds } from './ids.ts';

export interface Promotion {
  jobId: string;
  /** The job's state when it was looked at ('missing' when there is none). */
  state: string;
  /** True when it was delayed and now waits for a worker. */
  promoted: boolean;
  /** Why it failed, when state is 'failed'. */
  failedReason?: string;
}

/**
 * Starts cluster-D now if it is delayed: waiting for its raw input (the gaps between checks grow
 * to 30 minutes) or backing off after an error. Called whenever raw input arrives or a person
 * asks for the day. Any other state is left alone: a waiting or active job finds the input on
 * its own, and a finished one is only run again on request (--force).
 */
export async function promoteClusterDay(queue: Queue, date: RideDate): Promise<Promotion> {
  const jobId = jobIds.clusterDay(date);
  const job = await queue.getJob(jobId);
  if (!job) return { jobId, state: 'missing', promoted: false };
  const state = await job.getState();
  if (state === 'failed') return { jobId, state, promoted: false, failedReason: job.failedReason };
  if (state !== 'delayed') return { jobId, state, promoted: false };
  try {
    await job.promote();
    return { jobId, state, promoted: true };
  } catch (error) {
    // Someone else (a worker's own timer, another command) moved it first: that is the same end.
    const now = await job.getState();
    if (now === 'delayed') throw error;
    return { jobId, state: now, promoted: false };
  }
}
