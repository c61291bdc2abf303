import { annotateSpan, type Logger } from '@etml/domain';
import { observeJob, type RedisClient, withLogFields } from '@etml/runtime';
import { type Job, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import {
  JOBS,
  type JobSpec,
  type PayloadOf,
  QUEUES,
  type QueueName,
  type ResultOf,
} from './catalog.ts';
import { queueOptions } from './connection.ts';
import { rideInSummarizeId } from './ids.ts';
import { reportRedisError, vanishedJob } from './redis-errors.ts';

/** A job's processor, with the catalog entry it serves. */
export interface JobProcessor<S extends JobSpec = JobSpec> {
  (job: Job, token?: string, signal?: AbortSignal): Promise<ResultOf<S>>;
  readonly spec: S;
}

/**
 * The processor of one catalog job: the payload is parsed with the job's schema before `handler`
 * runs (defaults filled in), and a payload that does not parse fails the job for good, since no
 * retry can fix it.
 */
export function processorFor<S extends JobSpec>(
  spec: S,
  handler: (
    job: Job<PayloadOf<S>, ResultOf<S>>,
    token?: string,
    signal?: AbortSignal,
  ) => Promise<ResultOf<S>>,
): JobProcessor<S> {
  const process = async (job: Job, token?: string, signal?: AbortSignal) => {
    const parsed = spec.payload.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(
        `bad payload ${JSON.stringify(job.data)}: ${parsed.error.message}`,
      );
    }
    job.data = parsed.data;
    // On BullMQ's span of this attempt, which has the job id and queue already.
    const { date, rideId } = parsed.data as { date?: string; rideId?: string | number };
    annotateSpan({ 'etml.date': date, 'etml.ride': rideId });
    return handler(job as Job<PayloadOf<S>, ResultOf<S>>, token, signal);
  };
  return Object.assign(process, { spec });
}

/**
 * Every job the catalog puts on `queue` must have exactly one processor here, and every
 * processor must serve a catalog job of this queue: checked before the worker takes a job, so a
 * job added to the catalog without a processor fails at start-up, not on its first run.
 */
export function checkProcessors(queue: QueueName, processors: readonly JobProcessor[]): void {
  const expected = Object.values(JOBS as Record<string, JobSpec>).filter(j => j.queue === queue);
  const problems: string[] = [];
  for (const spec of expected) {
    const count = processors.filter(p => p.spec.name === spec.name).length;
    if (count !== 1) problems.push(`job "${spec.name}" has ${count} processors`);
  }
  for (const { spec } of processors) {
    if (!expected.includes(spec)) {
      problems.push(`job "${spec.name}" is not a catalog job of queue "${queue}"`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`queue "${queue}": ${problems.join('; ')}`);
  }
}

export interface CreateWorkerOptions extends Omit<WorkerOptions, 'connection'> {
  connection: RedisClient;
  log: Logger;
  /**
   * How each job's end is logged. `step` (the default): a job is a day's step, so its completion
   * is an info line and its failures warnings and errors. `detail`: a job is one of a day's
   * thousands (a summary), so its lines are debug, and the day's step says what happened.
   */
  jobLines?: 'step' | 'detail';
  /**
   * Called once a job failed for good (its last attempt, or an UnrecoverableError), for an alert;
   * what it throws is logged, never more.
   */
  onFailedForGood?: (job: Job, error: Error) => Promise<unknown>;
}

/** A job id's date, for a job known only by its id (a stalled one): ids carry it. */
const DATE_IN_ID = /\d{4}-\d{2}-\d{2}/;

/**
 * The fields of every line logged about a job or while it runs: its queue, its BullMQ id, its
 * ride date (a scheduler tick's is known once it has run), and a summary's ride. A job known only
 * by its id (a stalled one) gets what its id carries: the date, and a summary's ride as a string.
 */
function jobLogFields(
  queue: QueueName,
  job: Pick<Job, 'id'> & Partial<Pick<Job, 'data' | 'returnvalue'>>,
): Record<string, unknown> {
  return {
    queue,
    job: job.id,
    date: job.data?.date ?? job.returnvalue?.date ?? DATE_IN_ID.exec(job.id ?? '')?.[0],
    ride:
      job.data?.rideId ??
      (queue === QUEUES.summarize ? rideInSummarizeId(job.id ?? '') : undefined),
  };
}

/**
 * A BullMQ Worker for one queue of the catalog, dispatching each job by name to its processor,
 * with the listeners every service needs: Redis errors are logged instead of crashing the
 * process (see reportRedisError: no storms), and each job's end is logged with its id and
 * reason (see `jobLines`).
 */
export function createWorker(
  queue: QueueName,
  processors: readonly JobProcessor[],
  options: CreateWorkerOptions,
): Worker {
  checkProcessors(queue, processors);
  const byName = new Map(processors.map(p => [p.spec.name, p]));
  const { log, jobLines = 'step', onFailedForGood, ...rest } = options;
  const worker = new Worker(
    queue,
    async (job: Job, token?: string, signal?: AbortSignal) => {
      const process = byName.get(job.name);
      if (!process) {
        throw new UnrecoverableError(`no processor for job "${job.name}" on queue "${queue}"`);
      }
      return withLogFields(jobLogFields(queue, job), () => process(job, token, signal));
    },
    { ...rest, ...queueOptions(rest.connection) },
  );
  worker.on('error', error => reportRedisError(log, { queue }, error));
  worker.on('failed', (job: Job | undefined, error: Error) => {
    if (vanishedJob(error) !== undefined) return reportRedisError(log, { queue }, error);
    observeJob(queue, 'failed', job);
    // An attempt that will be retried is a warning; the last one, or an unrecoverable one, an error.
    const final =
      error.name === 'UnrecoverableError' || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? 1);
    const fields = { attempt: job?.attemptsMade, error: error.message };
    withLogFields(job ? jobLogFields(queue, job) : { queue }, () => {
      if (jobLines === 'detail') log.debug(final ? 'job failed' : 'job attempt failed', fields);
      else if (final) log.error('job failed', fields);
      else log.warn('job attempt failed; it will be retried', fields);
      if (final && job && onFailedForGood) {
        onFailedForGood(job, error).catch((failure: Error) =>
          log.warn('could not act on a failed job', { ...fields, why: failure.message }),
        );
      }
    });
  });
  worker.on('completed', job => {
    observeJob(queue, 'completed', job);
    withLogFields(jobLogFields(queue, job), () => {
      if (jobLines === 'detail') log.debug('job completed');
      else log.info('job completed');
    });
  });
  worker.on('stalled', jobId =>
    withLogFields(jobLogFields(queue, { id: jobId }), () => log.error('job stalled')),
  );
  return worker;
}
