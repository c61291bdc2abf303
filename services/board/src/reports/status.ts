import type { RideDate } from '@etml/domain';
import { type DayQueues, jobIds, lookAtDay, StepFailed } from '@etml/queues';

/** Why a day in the window has no outputs, as the queues tell it. */
export interface DayGap {
  state: 'late' | 'failed' | 'running';
  /** For people: "waiting for raw data", "summarizing 3 of 40", the failed step's reason. */
  detail: string;
}

export const NOTHING_ENQUEUED = 'nothing enqueued';

/** Where a day without a manifest stands: the CLI's own look at cluster-D and load-D. */
export async function dayGap(queues: DayQueues, date: RideDate): Promise<DayGap> {
  if (!(await queues.cluster.getJob(jobIds.clusterDay(date)))) {
    return { state: 'late', detail: NOTHING_ENQUEUED };
  }
  try {
    const look = await lookAtDay(queues, date);
    if ('result' in look) {
      return { state: 'late', detail: 'its jobs say done but it has no manifest' };
    }
    const { progress } = look;
    if (progress.step === 'cluster') {
      return progress.waiting
        ? { state: 'late', detail: 'waiting for raw data' }
        : { state: 'running', detail: `clustering (${progress.state})` };
    }
    if (progress.step === 'summarize') {
      return {
        state: 'running',
        detail: `summarizing ${progress.done} of ${progress.total}`,
      };
    }
    return { state: 'running', detail: 'loading' };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    return { state: 'failed', detail: error.message };
  }
}
