export {
  ClusterDayPayload,
  JOBS,
  LoadDayPayload,
  QUEUES,
  type QueueName,
  SummarizeRidePayload,
} from './catalog.ts';
export { producerConnection, workerConnection } from './connection.ts';
export { type Enqueued, enqueueClusterDay, enqueueLoadDay } from './enqueue.ts';
export { jobIds, rideIdPart } from './ids.ts';
export { type CreateWorkerOptions, createWorker } from './worker.ts';
