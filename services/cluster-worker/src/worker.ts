import { isRideDate } from '@etml/domain';
import { failedAlert, sendAlert, type WebhookOptions } from '@etml/outputs';
import {
  createWorker,
  enqueueLoadDay,
  QUEUES,
  queueOptions,
  reportRedisError,
  workerConnection,
} from '@etml/queues';
import { closeOnce, type Logger } from '@etml/runtime';
import { Queue, type WorkerOptions } from 'bullmq';
import { type ClusterProcessorDeps, clusterProcessor } from './processor.ts';

export interface ClusterWorkerOptions extends Omit<ClusterProcessorDeps, 'handOff'> {
  redisUrl: string;
  log: Logger;
  /** Where a day whose cluster step failed for good is announced, if anywhere. */
  alert?: WebhookOptions | undefined;
  /** Overrides for tests: lock and stall timings. */
  worker?: Partial<Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'concurrency'>>;
}

/**
 * The cluster worker. One job at a time per process: clustering is CPU work, so more throughput
 * comes from more processes. Parsing streams with awaits between chunks and DBSCAN itself takes
 * well under a second on a million rides, so the lock keeps being renewed in-process; the
 * stalled-job test in test/ holds it to that.
 */
export function createClusterWorker(options: ClusterWorkerOptions) {
  const connection = workerConnection(options.redisUrl);
  const loadQueue = new Queue(QUEUES.load, queueOptions(connection));
  loadQueue.on('error', error => reportRedisError(options.log, { queue: QUEUES.load }, error));
  const worker = createWorker(
    QUEUES.cluster,
    [clusterProcessor({ ...options, handOff: date => enqueueLoadDay(loadQueue, date) })],
    {
      connection,
      log: options.log,
      concurrency: 1,
      maxStartedAttempts: 1_000,
      onFailedForGood: async (job, error) => {
        if (!options.alert) return;
        if (!isRideDate(job.data?.date)) return;
        const alert = failedAlert(job.data.date, 'cluster', error.message, { job: job.id });
        await sendAlert(options.alert, { redis: connection, log: options.log }, alert);
      },
      ...options.worker,
    },
  );
  return {
    worker,
    close: closeOnce(async () => {
      await worker.close();
      await loadQueue.close();
      connection.disconnect();
    }),
  };
}
