import type { RideDate } from '@etml/domain';
import { JOBS, jobIds, processorFor, type RefreshDayResult } from '@etml/queues';
import type { Logger } from '@etml/runtime';
import { Job, type Queue } from 'bullmq';

/**
 * A summary that runs after its day was loaded brings the day's outputs up to date by itself.
 *
 * What BullMQ 6.7 does when a failed summarize child is retried (Bull Board's Retry and "Retry
 * all", `job.retry('failed')`, `queue.retryJobs`; reprocessJob and moveJobsToWait both call
 * moveChildBackToParentDependencies): the child's entry leaves load-D's `failed` hash and joins
 * its `dependencies` again, whatever state load-D is in. When the child then completes,
 * moveToFinished moves it from `dependencies` to `processed` with its value; if it fails again
 * it goes back to `failed`. A load-D still waiting for children is released as usual, but a
 * load-D that has COMPLETED (or failed) is left as it is: nobody runs its fan-in again. That is
 * what this module adds.
 *
 * Each summarize job, as it starts, looks at its load-D. Loaded already (completed or failed),
 * or in the middle of its fan-in (which may have read the children's values before this one's),
 * it adds a refresh-day job for the day, debounced. The refresh runs load-D again once it is not
 * running: `retry`, which puts it back through the processor, where it waits for any child still
 * pending (BullMQ's own waiting-children) and then runs the fan-in on every child's value from
 * `processed` and every failure from `failed`, rewrites the outputs and the manifest and
 * publishes the day as a rerun does. The check is made at the start, not the end, of the child:
 * a worker killed after the child completes would otherwise lose the refresh, while a refresh
 * added at the start finds the child still pending and waits for it.
 */

/** load-D's progress phases from the start of its fan-in to its end (see fan-in.ts). */
export const FAN_IN_PHASES: readonly string[] = ['fan-in', 'writing', 'parquet and report'];

/** What a refresh sets load-D's progress to before running it again. */
const REFRESH_PHASE = 'refresh';

/** Whether load-D has loaded the day (or is loading it) without this summary's final state. */
async function parentLoaded(loadQueue: Queue, parentId: string): Promise<boolean> {
  const state = await loadQueue.getJobState(parentId);
  if (state === 'completed' || state === 'failed') return true;
  if (state !== 'active') return false;
  const parent = await Job.fromId(loadQueue, parentId);
  const phase = (parent?.progress as { phase?: string } | undefined)?.phase;
  return phase !== undefined && FAN_IN_PHASES.includes(phase);
}

/**
 * Called as a summarize job starts: adds a refresh of its day when its load-D has loaded the day
 * already. Debounced: the refresh waits `delayMs` after the last summary that asked for it.
 */
export async function refreshIfLate(
  job: Job,
  date: RideDate,
  loadQueue: Queue,
  delayMs: number,
): Promise<boolean> {
  const parent = job.parent;
  if (!parent?.id || parent.queueKey !== loadQueue.qualifiedName) return false;
  if (!(await parentLoaded(loadQueue, parent.id))) return false;
  await addRefresh(loadQueue, date, `${job.id}.${job.attemptsStarted}`, delayMs);
  return true;
}

/**
 * Adds a refresh of the day on behalf of `after`, `delayMs` from now, debounced per day; `round`
 * counts the looks already taken while load-D ran.
 */
export async function addRefresh(
  loadQueue: Queue,
  date: RideDate,
  after: string,
  delayMs: number,
  round = 0,
) {
  const spec = JOBS.refreshDay;
  const data = { date, after, round };
  return loadQueue.add(spec.name, data, {
    ...spec.options,
    jobId: spec.jobId(data),
    delay: delayMs,
    // Debounce: a newer request replaces a delayed one; one made while a refresh runs is kept
    // and added when it ends, so a summary finishing during a refresh is not left out.
    deduplication: {
      id: jobIds.refreshDayDebounce(date),
      ttl: delayMs,
      extend: true,
      replace: true,
      keepLastIfActive: true,
    },
  });
}

export interface RefreshDeps {
  /** The load queue, where load-D lives. */
  loadQueue: Queue;
  /** How long to wait before looking again while load-D runs. */
  delayMs: number;
  log: Logger;
}

/**
 * refresh-day: runs load-D again if it has finished; waits while it runs (a fan-out or fan-in in
 * progress must not be interrupted, and may have missed the late summary); does nothing when
 * load-D is still to run (waiting for its children, waiting its turn), since that run will read
 * every child.
 */
export function refreshProcessor(deps: RefreshDeps) {
  return processorFor(JOBS.refreshDay, async (job): Promise<RefreshDayResult> => {
    const { date } = job.data;
    const load = await Job.fromId(deps.loadQueue, jobIds.loadDay(date));
    if (!load) return { date, load: 'missing', action: 'none' };
    const state = await load.getState();
    if (state === 'active') {
      // A follow-up rather than a delay of this job: added while this one is active, it is kept
      // as the day's next refresh (keepLastIfActive), and a late summary asking meanwhile
      // replaces it rather than adding a second one.
      await job.log(`${load.id} is running: looking again in ${deps.delayMs} ms`);
      await addRefresh(deps.loadQueue, date, job.data.after, deps.delayMs, job.data.round + 1);
      return { date, load: state, action: 'later' };
    }
    if (state !== 'completed' && state !== 'failed') return { date, load: state, action: 'none' };
    await load.updateProgress({ phase: REFRESH_PHASE, after: job.data.after });
    // A fresh set of attempts: the rerun is a new piece of work, not the old one's last try.
    await load.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
    await job.log(`${load.id} was ${state}: running it again for summaries that finished late`);
    deps.log.info('refreshing a loaded day', { load: load.id, was: state });
    return { date, load: state, action: 'rerun' };
  });
}
