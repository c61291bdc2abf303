export { ClusterDayPayload, JOBS, QUEUES, type QueueName } from './catalog.ts';
export { producerConnection, workerConnection } from './connection.ts';
export { type Enqueued, enqueueClusterDay } from './enqueue.ts';
export { jobIds, rideIdPart } from './ids.ts';
export { type CreateWorkerOptions, createWorker } from './worker.ts';
