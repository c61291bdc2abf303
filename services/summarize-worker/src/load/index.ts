import { keys } from '@etml/domain';
import { JOBS, type LoadDayResult, processorFor } from '@etml/queues';
import { WaitingChildrenError } from 'bullmq';
import { readClustering } from './clustered.ts';
import { type FanInDeps, fanIn } from './fan-in.ts';
import { type FanOutDeps, fanOut } from './fan-out.ts';

export type LoadDeps = FanOutDeps & FanInDeps;

/**
 * load-D: the fan-out of the day's summaries, then, when they are all done, the fan-in. A day
 * clustered again since the fan-out (forced, or retried from the board) is fanned out again
 * before anything is written, so the outputs always match one clustering. A load-D run again
 * (retried from the board, or by a refresh-day when summaries finished after the day was
 * loaded) waits for any summary still pending, then runs the fan-in again.
 */
export function loadProcessor(deps: LoadDeps) {
  return processorFor(JOBS.loadDay, async (job, token): Promise<LoadDayResult> => {
    const payload = job.data;
    const { date } = payload;
    const clustering = await readClustering(deps.store, date);
    let { plan } = payload;
    if (payload.step === 'fan-out' || payload.clustered !== clustering.clustered.sha256) {
      if (payload.step === 'fan-in') {
        await job.log('the day was clustered again since the fan-out: fanning out again');
      }
      // The day is being recomputed: until the new manifest, it is not complete.
      await deps.store.delete(keys.manifest(date));
      const fannedOut = await fanOut(job, date, clustering, deps);
      plan = fannedOut.plan;
      deps.log.info('fan-out done', { children: fannedOut.added });
      // Persisted before waiting: when the children are done, the job runs again from the top.
      await job.updateData({
        date,
        step: 'fan-in',
        clustered: clustering.clustered.sha256,
        ...(plan ? { plan } : {}),
      });
    }
    // No longer in a fan-in (a rerun starts with the last run's phase): a summary starting from
    // here on is one this run waits for, not one that needs a refresh (see refresh.ts).
    await job.updateProgress({ ...(job.progress as object), phase: 'summaries' });
    if (await job.moveToWaitingChildren(token as string)) throw new WaitingChildrenError();
    return fanIn(job, date, clustering, { ...deps, plan });
  });
}
