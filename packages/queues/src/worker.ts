import type { Logger } from '@etml/domain';
import { type Job, type Processor, Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueName } from './catalog.ts';

export interface CreateWorkerOptions extends Omit<WorkerOptions, 'connection'> {
  connection: Redis;
  log: Logger;
}

/**
 * A BullMQ Worker with the listeners every service needs: Redis errors are logged instead of
 * crashing the process, and each job's end is logged with its id and reason.
 */
export function createWorker<Data, Result>(
  queue: QueueName,
  processor: Processor<Data, Result>,
  options: CreateWorkerOptions,
): Worker<Data, Result> {
  const { log, ...rest } = options;
  const worker = new Worker<Data, Result>(queue, processor, rest);
  worker.on('error', error => log.error('worker error', { queue, error: error.message }));
  worker.on('failed', (job: Job<Data, Result> | undefined, error: Error) => {
    // An attempt that will be retried is a warning; the last one, or an unrecoverable one, an error.
    const final =
      error.name === 'UnrecoverableError' || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? 1);
    const fields = { queue, job: job?.id, attempt: job?.attemptsMade, error: error.message };
    if (final) log.error('job failed', fields);
    else log.warn('job attempt failed; it will be retried', fields);
  });
  worker.on('completed', job => log.info('job completed', { queue, job: job.id }));
  worker.on('stalled', jobId => log.error('job stalled', { queue, job: jobId }));
  return worker;
}
