import { isRideDate } from '@etml/domain';
import { failedAlert, sendAlert, type WebhookOptions } from '@etml/outputs';
import {
  createWorker,
  JOBS,
  QUEUES,
  queueOptions,
  reportRedisError,
  workerConnection,
} from '@etml/queues';
import { type CodeVersion, closeOnce, type Logger, ownKeys } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { Summarizer } from '@etml/summarization';
import { Queue, type WorkerOptions } from 'bullmq';
import { SummaryCache } from './cache.ts';
import { RequestLimiter } from './limiter.ts';
import type { DayBudget } from './load/budget.ts';
import { loadProcessor } from './load/index.ts';
import { refreshProcessor } from './load/refresh.ts';
import { DayPrompts } from './prompts.ts';
import { Semaphore } from './semaphore.ts';
import { summarizeProcessor } from './summarize.ts';

export interface SummarizeWorkerOptions {
  redisUrl: string;
  store: ObjectStore;
  summarizer: Summarizer;
  /** LLM requests per minute, across every process on this Redis. */
  maxRequestsPerMinute: number;
  /** LLM tokens per minute, in the same window; unset: no tokens limit. */
  maxTokensPerMinute?: number | undefined;
  /** The day's LLM limits, applied at each day's fan-out; unset: every anomaly gets the LLM. */
  budget?: DayBudget | undefined;
  /** LLM calls in flight in this process. */
  llmConcurrency: number;
  codeVersion: CodeVersion;
  log: Logger;
  /** The window both per-minute limits are counted over; 60 s unless a test shortens it. */
  limiterWindowMs?: number;
  /** The LLM request timeout: how long a call may hold its rate-limit slot before it is freed. */
  callTimeoutMs?: number;
  /** Tries per summary for 5xx, timeouts and malformed answers, and the first backoff. */
  retry?: { attempts: number; backoffMs: number };
  /** Announces each completed day; never fails it. */
  webhook?: WebhookOptions | undefined;
  /**
   * Where a day is announced when its load step fails for good, or more than
   * `failedSummaryShare` of its summaries failed; never fails it.
   */
  alert?: { webhook: WebhookOptions; failedSummaryShare: number } | undefined;
  /**
   * How long a refresh of a loaded day waits after the last summary that finished late started
   * (a burst of retries makes one refresh), and between looks while load-D runs. 5 s.
   */
  refreshDelayMs?: number;
  /** Overrides for tests and benchmarks. */
  worker?: Partial<Pick<WorkerOptions, 'lockDuration' | 'stalledInterval'>>;
}

/**
 * The summarize-worker service: per-ride summaries on the summarize queue, and the day's
 * fan-out and fan-in on the load queue.
 *
 * Job concurrency is four times the LLM concurrency, because most jobs are cache hits or wait for
 * another worker's identical prompt and need no LLM slot. BullMQ's limiter is set only so that
 * queue.rateLimit() takes effect (it is ignored without one); what costs money, LLM requests, is
 * limited by the sliding-window RequestLimiter instead.
 */
export function createSummarizeWorker(options: SummarizeWorkerOptions) {
  const { log } = options;
  const connection = workerConnection(options.redisUrl);
  const summarizeQueue = new Queue(QUEUES.summarize, queueOptions(connection));
  const loadQueue = new Queue(QUEUES.load, queueOptions(connection));
  for (const queue of [summarizeQueue, loadQueue]) {
    queue.on('error', error => reportRedisError(log, { queue: queue.name }, error));
  }
  const refreshDelayMs = options.refreshDelayMs ?? 5_000;
  // Rate-limited jobs go back to wait without using an attempt; this bounds how often.
  const maxStartedAttempts = 500;
  const llmSlots = new Semaphore(options.llmConcurrency);
  const limiter = new RequestLimiter(connection, {
    key: ownKeys(connection).llmRequests,
    max: options.maxRequestsPerMinute,
    maxTokens: options.maxTokensPerMinute,
    windowMs: options.limiterWindowMs ?? 60_000,
    leaseMs: (options.callTimeoutMs ?? 60_000) + 5_000,
  });
  const summarize = createWorker(
    QUEUES.summarize,
    [
      summarizeProcessor({
        summarizer: options.summarizer,
        // A killed holder's prompt is taken over as soon as its jobs are: after one job lock.
        cache: new SummaryCache(options.store, connection, {
          lockTtlMs: options.worker?.lockDuration ?? 30_000,
        }),
        prompts: new DayPrompts(options.store),
        limiter: {
          run: (call, tokens) => llmSlots.run(() => limiter.run(call, tokens)),
          pause: ms => limiter.pause(ms),
        },
        queue: summarizeQueue,
        loadQueue,
        refreshDelayMs,
        maxStartedAttempts,
        redis: connection,
        log,
      }),
    ],
    {
      connection,
      log,
      // A day has thousands of these: their lines are debug, the day's steps say what happened.
      jobLines: 'detail',
      concurrency: options.llmConcurrency * 4,
      limiter: { max: 1_000_000, duration: 1_000 },
      maxStartedAttempts,
      ...options.worker,
    },
  );
  const load = createWorker(
    QUEUES.load,
    [
      loadProcessor({
        store: options.store,
        summarizeQueue,
        redis: connection,
        model: options.summarizer.model,
        // Without an LLM there is nothing to budget.
        llmBudget: options.summarizer.source === 'llm' ? (options.budget ?? {}) : undefined,
        codeVersion: options.codeVersion,
        retry: options.retry,
        webhook: options.webhook,
        alert: options.alert,
        log,
      }),
      refreshProcessor({ loadQueue, delayMs: refreshDelayMs, log }),
    ],
    {
      connection,
      log,
      concurrency: 2,
      maxStartedAttempts: 1_000,
      onFailedForGood: async (job, error) => {
        const { alert } = options;
        if (!alert || job.name !== JOBS.loadDay.name || !isRideDate(job.data?.date)) return;
        const message = failedAlert(job.data.date, 'load', error.message, { job: job.id });
        await sendAlert(alert.webhook, { redis: connection, log }, message);
      },
      ...options.worker,
    },
  );
  return {
    workers: [summarize, load],
    /**
     * Stops taking jobs and lets running ones finish; after `graceMs` the running LLM calls are
     * aborted and their jobs go back to wait for another worker. A later call waits for the
     * first one's closing, with the first one's grace.
     */
    close: closeOnce(async (graceMs: number = 10_000) => {
      const timer = setTimeout(() => {
        summarize.cancelAllJobs('shutting down');
        load.cancelAllJobs('shutting down');
      }, graceMs);
      await Promise.all([summarize.close(), load.close()]);
      clearTimeout(timer);
      await Promise.all([summarizeQueue.close(), loadQueue.close()]);
      connection.disconnect();
    }),
  };
}
