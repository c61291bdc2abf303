import { type ClusteringRecord, isRideDate, type RideDate } from '@etml/domain';
import type { DayManifest, LlmPlan } from '@etml/outputs';
import type { LikelyCause } from '@etml/summarization';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { Enqueued } from './enqueue.ts';
import { jobIds } from './ids.ts';

/** Queue names; job ids are unique per queue. */
export const QUEUES = {
  /** The daily Job Scheduler's ticks. */
  scheduler: 'scheduler',
  cluster: 'cluster',
  /** One job per anomalous ride; its LLM calls go through the shared request limiter. */
  summarize: 'summarize',
  /** The day's fan-out and fan-in: parent of that day's summarize jobs. */
  load: 'load',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const rideDate: z.ZodType<RideDate, string> = z
  .string()
  .refine(isRideDate, 'must be a YYYY-MM-DD calendar date')
  .transform(text => text as RideDate);

/** Payloads carry the date and small metadata, never ride data: that lives in S3. */
export interface ClusterDayPayload {
  date: RideDate;
}

export const ClusterDayPayload: z.ZodType<ClusterDayPayload, { date: string }> = z.object({
  date: rideDate,
});

/** What cluster-D returns: its clustering record, where the rides went, and the next job. */
export interface ClusterDayResult extends ClusteringRecord {
  date: RideDate;
  outputs: { clustered: string; rejected: string };
  /** The job that takes the day on: load-D. */
  next: string;
}

/** cluster-D's progress phase while its day's raw input has not arrived. */
export const WAITING_FOR_RAW = 'waiting for raw input';

/** cluster-D's progress while it waits: what it looks for, and when it looks again (ms). */
export interface WaitingForRawProgress {
  phase: typeof WAITING_FOR_RAW;
  key: string;
  nextCheckAt: number;
}

const count = z.number().int().min(0);
const usdOrNull = z.number().min(0).nullable();

/** The fan-out's plan for the day's LLM calls, for the manifest. */
const LlmPlanSchema: z.ZodType<LlmPlan> = z.object({
  max_summaries_per_day: count.nullable(),
  max_cost_per_day_usd: usdOrNull,
  planned_calls: count,
  planned_cost_usd: usdOrNull,
  rides_llm: count,
  rides_offline: count,
});

export const LoadDayPayload = z.object({
  date: rideDate,
  /** Persisted before the job waits, so its second run goes straight to the fan-in. */
  step: z.enum(['fan-out', 'fan-in']).default('fan-out'),
  /** The sha256 of the clustered rides the children were made from. */
  clustered: z.string().optional(),
  /** Persisted with the step: what the day's LLM budget allowed (none without an LLM). */
  plan: LlmPlanSchema.optional(),
});
export type LoadDayPayload = z.output<typeof LoadDayPayload>;

export const SummarizeRidePayload = z.object({
  date: rideDate,
  rideId: z.union([z.string().min(1), z.number()]),
  /** sha256 of the ride's prompt input, found in the day's prompts file. */
  prompt: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest'),
  /** false: the day's LLM budget left this ride out, so it gets the offline summary. */
  llm: z.boolean().default(true),
});
export type SummarizeRidePayload = z.output<typeof SummarizeRidePayload>;

/**
 * A day's outputs are out of date: a summary ran after its load-D had loaded the day (a retry
 * from the board, a job recovered late). `after` is the summarize job that found it so.
 */
export const RefreshDayPayload = z.object({
  date: rideDate,
  after: z.string().min(1),
  /** How many times a refresh for `after` has found load-D running and come back later. */
  round: z.number().int().min(0).default(0),
});
export type RefreshDayPayload = z.output<typeof RefreshDayPayload>;

/** What a refresh did: load-D run again from the state it was in, or nothing to do. */
export interface RefreshDayResult {
  date: RideDate;
  /** load-D's state when the refresh ran, or `missing`. */
  load: string;
  /** `later`: load-D was running; a follow-up refresh looks again. */
  action: 'rerun' | 'later' | 'none';
}

/** What load-D returns once the day is complete. */
export interface LoadDayResult {
  date: RideDate;
  outputs: Record<string, string>;
  counts: DayManifest['counts'];
  llm: DayManifest['llm'];
}

/** What one summarize job hands to its parent, load-D. */
export interface SummarizeResult {
  summary: string;
  likely_cause: LikelyCause;
  source: 'llm' | 'extractive';
  /** True when the summary came from the cache (or from another job computing it just now). */
  cached: boolean;
  /** The cache key, cache/summaries/<key>.json. */
  key: string;
  /** Tokens this job paid for: zero when cached. */
  tokens: { prompt: number; completion: number };
}

/** The daily Job Scheduler's tick carries nothing: its ride date comes from its fire time. */
export const TickPayload = z.object({});
export type TickPayload = z.output<typeof TickPayload>;

/** What a tick did: the day it enqueued and the missed days it caught up. */
export interface TickResult {
  /** The scheduled fire time (ms). */
  fired: number;
  date: string;
  cluster: Enqueued;
  caughtUp: string[];
}

const DAY = 24 * 3600;

/**
 * One job of the catalog. `result` is never set: it carries the type the job's processor
 * returns, so a worker, the CLI and a parent reading its children's values agree on it.
 */
export interface JobSpec<Payload = unknown, Result = unknown> {
  name: string;
  queue: QueueName;
  payload: z.ZodType<Payload>;
  /** The deterministic id, for jobs the pipeline adds itself. */
  jobId?(data: Payload): string;
  options: JobsOptions;
  readonly result?: Result;
}

/** The payload a job's processor sees: its schema's output, defaults filled in. */
export type PayloadOf<S> = S extends { payload: z.ZodType<infer P> } ? P : never;
export type ResultOf<S> = S extends { result?: infer R } ? Exclude<R, undefined> : never;

const resultIs = <Result>() => undefined as Result | undefined;

/**
 * The jobs of the pipeline: name, queue, payload, deterministic id and default options. Ids are
 * deterministic (no ':' allowed in BullMQ ids), so enqueueing a date twice adds nothing while the
 * first job's record is kept, which retention holds for 90 days: longer than any backfill.
 */
export const JOBS = {
  clusterDay: {
    name: 'cluster-day',
    queue: QUEUES.cluster,
    payload: ClusterDayPayload,
    result: resultIs<ClusterDayResult>(),
    jobId: (data: ClusterDayPayload) => jobIds.clusterDay(data.date),
    options: {
      attempts: 4,
      backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 },
      removeOnComplete: { age: 90 * DAY },
      removeOnFail: { age: 90 * DAY },
    } satisfies JobsOptions,
  },
  loadDay: {
    name: 'load-day',
    queue: QUEUES.load,
    payload: LoadDayPayload,
    result: resultIs<LoadDayResult>(),
    jobId: (data: { date: RideDate }) => jobIds.loadDay(data.date),
    options: {
      attempts: 4,
      backoff: { type: 'exponential', delay: 10_000, jitter: 0.5 },
      removeOnComplete: { age: 90 * DAY },
      removeOnFail: { age: 90 * DAY },
    } satisfies JobsOptions,
  },
  summarizeRide: {
    name: 'summarize-ride',
    queue: QUEUES.summarize,
    payload: SummarizeRidePayload,
    result: resultIs<SummarizeResult>(),
    jobId: (data: { date: RideDate; rideId: string | number }) =>
      jobIds.summarizeRide(data.date, data.rideId),
    options: {
      // 5xx, timeouts and malformed answers: 2, 4, 8, 16, 32 s apart (±50 %). 429s do not use
      // attempts: they pause the queue instead.
      attempts: 6,
      backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
      // A summary that fails for good is recorded on the parent, which still loads the day.
      ignoreDependencyOnFailure: true,
      // The parent keeps each result; a day's thousands of records need not stay long.
      removeOnComplete: { age: DAY },
      removeOnFail: { age: 7 * DAY },
    } satisfies JobsOptions,
  },
  /**
   * Runs load-D's fan-in again once no fan-in is running, so a day's outputs take in summaries
   * that finished after it was loaded. Added by the summarize jobs that find their day loaded,
   * debounced: a burst of retries makes one refresh, a few seconds after the last of them
   * started, and one added while a refresh runs is kept for after it (keepLastIfActive).
   */
  refreshDay: {
    name: 'refresh-day',
    queue: QUEUES.load,
    payload: RefreshDayPayload,
    result: resultIs<RefreshDayResult>(),
    jobId: (data: { after: string; round?: number }) => jobIds.refreshDay(data.after, data.round),
    options: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      removeOnComplete: { age: 7 * DAY },
      removeOnFail: { age: 7 * DAY },
    } satisfies JobsOptions,
  },
  /** Added by the daily Job Scheduler, which picks its ids (repeat:<scheduler>:<millis>). */
  tick: {
    name: 'tick',
    queue: QUEUES.scheduler,
    payload: TickPayload,
    result: resultIs<TickResult>(),
    options: {
      removeOnComplete: { count: 200 },
      removeOnFail: { count: 200 },
    } satisfies JobsOptions,
  },
} as const satisfies Record<string, JobSpec>;
