export {
  BULLMQ_LAYOUT_VERSION,
  type ChildState,
  childKey,
  childStates,
  type ParentRef,
} from './bullmq-keys.ts';
export {
  ClusterDayPayload,
  type ClusterDayResult,
  JOBS,
  type JobSpec,
  LoadDayPayload,
  type LoadDayResult,
  type PayloadOf,
  QUEUES,
  type QueueName,
  RefreshDayPayload,
  type RefreshDayResult,
  type ResultOf,
  type SummarizeResult,
  SummarizeRidePayload,
  TickPayload,
  type TickResult,
  WAITING_FOR_RAW,
  type WaitingForRawProgress,
} from './catalog.ts';
export { producerConnection, queueOptions, workerConnection } from './connection.ts';
export {
  type DayLook,
  type DayProgress,
  type DayQueues,
  lookAtDay,
  StepFailed,
  summariesDone,
  waitingFor,
} from './day-status.ts';
export { describeDayStep } from './day-step.ts';
export { type Enqueued, enqueueClusterDay, enqueueLoadDay, jobsSayDone } from './enqueue.ts';
export { jobIds, rideIdPart } from './ids.ts';
export {
  type CreateWorkerOptions,
  checkProcessors,
  createWorker,
  type JobProcessor,
  processorFor,
} from './processor.ts';
export { type Promotion, promoteClusterDay } from './promote.ts';
export { JobVanished, reportRedisError, vanishedJob } from './redis-errors.ts';
