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
  worker.on('failed', (job: Job<Data, Result> | undefined, error: Error) =>
    log.error('job failed', {
      queue,
      job: job?.id,
      attempt: job?.attemptsMade,
      error: error.message,
    }),
  );
  worker.on('completed', job => log.info('job completed', { queue, job: job.id }));
  worker.on('stalled', jobId => log.error('job stalled', { queue, job: jobId }));
  return worker;
}
