import { setTimeout as sleep } from 'node:timers/promises';
import type { RideDate } from '@etml/domain';
import { JOBS, JobVanished, processorFor, type SummarizeResult } from '@etml/queues';
import { type Logger, ownKeys, type RedisClient } from '@etml/runtime';
import {
  buildPrompt,
  cacheKey,
  classifyLlmError,
  estimateRequestTokens,
  extractiveSummarizer,
  type LlmFailure,
  type LlmSummary,
  PROMPT_VERSION,
  type Summarizer,
} from '@etml/summarization';
import { type Job, type Queue, RateLimitError, UnrecoverableError, WaitingError } from 'bullmq';
import type { CachedSummary, SummaryCache } from './cache.ts';
import type { CallTokens } from './limiter.ts';
import { refreshIfLate } from './load/refresh.ts';
import { observeLlmCacheHit } from './metrics.ts';
import type { DayPrompts } from './prompts.ts';

export interface SummarizeDeps {
  summarizer: Summarizer;
  cache: SummaryCache;
  prompts: DayPrompts;
  /** Runs an LLM call within the request and tokens limits, or says how long to wait. */
  limiter: {
    run<T>(
      call: () => Promise<T>,
      tokens: CallTokens<T>,
    ): Promise<{ ok: true; value: T } | { ok: false; waitMs: number }>;
    pause(ms: number): Promise<void>;
  };
  /** The summarize queue, paused as a whole when the provider says to wait. */
  queue: Queue;
  /** The load queue: a summary that runs after its day was loaded asks it for a refresh. */
  loadQueue: Queue;
  /** The refresh's debounce: it runs this long after the last late summary started. */
  refreshDelayMs: number;
  /** The worker's maxStartedAttempts: a job started this often is not retried. */
  maxStartedAttempts?: number;
  redis: RedisClient;
  log: Logger;
}

/** Our own limiter said no: wait for the whole queue, as for a 429. */
class Limited extends Error {
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`LLM request limit reached; next slot in ${waitMs} ms`);
    this.waitMs = waitMs;
  }
}

/** The LLM call itself failed; what to do about it is in `failure`. */
class LlmCallFailed extends Error {
  readonly failure: LlmFailure;
  constructor(failure: LlmFailure, cause: unknown) {
    super(failure.kind === 'rate_limited' ? 'rate limited' : failure.message, { cause });
    this.failure = failure;
  }
}

/** Waits up to this long for a rate-limit slot inside the job. */
const SHORT_WAIT_MS = 5_000;

/** queue.rateLimit takes whole milliseconds, at least one. */
const wholeMs = (ms: number) => Math.max(1, Math.ceil(ms));

/** The wait when a 429 names none. */
const DEFAULT_RETRY_AFTER_MS = 20_000;
/** How long one insufficient_quota answer stops every worker from calling. */
const QUOTA_PAUSE_MS = 10 * 60_000;

/**
 * Whether a failure of this attempt will be retried, as BullMQ decides it (Job.shouldRetryJob)
 * for an error that is not unrecoverable, in words for the failure reason.
 */
export function retryNote(
  job: Pick<Job, 'attemptsMade' | 'attemptsStarted' | 'opts'>,
  maxStartedAttempts?: number,
): string {
  const attempt = job.attemptsMade + 1;
  const attempts = job.opts.attempts ?? 1;
  const startedOut = maxStartedAttempts !== undefined && job.attemptsStarted >= maxStartedAttempts;
  if (attempt < attempts && !startedOut) return `will retry: attempt ${attempt} of ${attempts}`;
  return `gave up after ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}`;
}

/** What an answer says it used; a server that reports no usage leaves the estimate standing. */
const usedTokens = (answer: LlmSummary) =>
  answer.usage.promptTokens + answer.usage.completionTokens || undefined;

/**
 * summarize-D-<ride>: the ride's prompt, from the day's prompts file; then its summary, from the
 * content-addressed cache or from one LLM call made under the shared request and tokens limits.
 * A ride the day's LLM budget left out (`llm: false`, decided at the fan-out) gets the offline
 * summary instead.
 * - Over the limit, or a 429: the whole queue pauses for the wait the limiter or the provider
 *   gives, and the job goes back to wait without using an attempt (RateLimitError).
 * - 5xx, timeouts, malformed answers: an error, retried with exponential backoff.
 * - Out of quota, or a request the provider refuses: a failure no retry can fix. Quota stops
 *   every worker's calls for a while, so a day does not pay for thousands of refusals.
 */
export function summarizeProcessor(deps: SummarizeDeps) {
  const { log } = deps;
  return processorFor(JOBS.summarizeRide, async (job, token, signal): Promise<SummarizeResult> => {
    const { date, prompt: promptId } = job.data;
    await refreshIfLate(job, date as RideDate, deps.loadQueue, deps.refreshDelayMs);
    const summarizer = job.data.llm ? deps.summarizer : extractiveSummarizer;
    const host = summarizer.host ?? 'the LLM endpoint';
    const input = await deps.prompts.get(date as RideDate, promptId);
    const prompt = buildPrompt(input);
    const key = cacheKey(summarizer.model, prompt);
    const callTokens = { estimate: estimateRequestTokens(prompt), used: usedTokens };

    const compute = async (): Promise<CachedSummary> => {
      const call = async () => {
        // Checked once this job holds an LLM slot: jobs queued for a slot when the quota ran
        // out must not call either.
        if (summarizer.source === 'llm') {
          const since = await deps.redis.get(ownKeys(deps.redis).llmQuotaExhausted);
          if (since) {
            throw new UnrecoverableError(`LLM quota exhausted at ${host} (not retried): ${since}`);
          }
          // Redis lost its data while this job waited for its slot: the day is run again from
          // S3, and that run makes this call, so this job must not pay for it too.
          if ((await job.getState()) === 'unknown') throw new JobVanished(job.id);
        }
        const answer = await summarizer.summarize(input, signal).catch(async error => {
          if (signal?.aborted) throw error;
          const failure = classifyLlmError(error);
          if (failure.kind === 'rate_limited') {
            await deps.limiter.pause(failure.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
          }
          if (failure.kind === 'quota') {
            // Recorded before this slot is released, so the next job in line sees it.
            const note = `${failure.message} (seen ${new Date().toISOString()} by job ${job.id})`;
            await deps.redis.set(
              ownKeys(deps.redis).llmQuotaExhausted,
              note,
              'PX',
              QUOTA_PAUSE_MS,
              'NX',
            );
          }
          throw new LlmCallFailed(failure, error);
        });
        // The provider's own count says the next call would not fit: everyone waits for its
        // reset, as for a 429, before this slot is released.
        const limit = answer.tokenLimit;
        if (limit && limit.remaining < callTokens.estimate) {
          const waitMs = limit.resetMs ?? DEFAULT_RETRY_AFTER_MS;
          await deps.limiter.pause(waitMs);
          await job.log(`${limit.remaining} tokens left at the provider: calls wait ${waitMs} ms`);
        }
        return answer;
      };
      let answer: Awaited<ReturnType<typeof call>>;
      if (summarizer.source === 'extractive') {
        answer = await call();
      } else {
        for (;;) {
          const slot = await deps.limiter.run(call, callTokens);
          if (slot.ok) {
            answer = slot.value;
            break;
          }
          // A short wait is waited here: sending the job back to the queue would only bounce it
          // (and its S3 reads) again. A long one pauses the whole queue instead.
          if (slot.waitMs > SHORT_WAIT_MS) throw new Limited(slot.waitMs);
          await sleep(slot.waitMs + Math.random() * 100, undefined, { signal });
        }
      }
      return {
        summary: answer.summary,
        likely_cause: answer.likely_cause,
        source: summarizer.source,
        model: summarizer.model,
        prompt_version: PROMPT_VERSION,
        usage: answer.usage,
      };
    };

    try {
      const { value, hit } = await deps.cache.getOrCompute(key, compute, signal);
      if (hit && summarizer.source === 'llm') observeLlmCacheHit();
      const tokens = hit
        ? { prompt: 0, completion: 0 }
        : { prompt: value.usage.promptTokens, completion: value.usage.completionTokens };
      // Only what cost something is logged: a day's cache hits would be thousands of lines.
      if (!hit) {
        await job.log(
          `${value.source} summary ${key}: ${tokens.prompt} prompt + ${tokens.completion} completion tokens`,
        );
      }
      return {
        summary: value.summary,
        likely_cause: value.likely_cause,
        source: value.source,
        cached: hit,
        key,
        tokens,
      };
    } catch (error) {
      if (signal?.aborted) {
        // Cancelled because this worker is shutting down: back to wait, attempt unused, for
        // another worker to take.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (error instanceof UnrecoverableError) throw error;
      if (error instanceof Limited) {
        await deps.queue.rateLimit(wholeMs(error.waitMs));
        throw new RateLimitError();
      }
      if (!(error instanceof LlmCallFailed)) throw error;
      const { failure } = error;
      switch (failure.kind) {
        case 'rate_limited': {
          const waitMs = failure.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
          log.debug('LLM provider asked to wait', { waitMs });
          await job.log(`429 from the LLM provider: the queue waits ${waitMs} ms`);
          await deps.queue.rateLimit(wholeMs(waitMs));
          throw new RateLimitError();
        }
        case 'quota': {
          const pauseMs = QUOTA_PAUSE_MS;
          const note = `${failure.message} (seen ${new Date().toISOString()} by job ${job.id})`;
          await deps.redis.set(ownKeys(deps.redis).llmQuotaExhausted, note, 'PX', pauseMs, 'NX');
          log.error('LLM quota exhausted: no calls for a while', {
            pauseMs,
            error: failure.message,
          });
          throw new UnrecoverableError(
            `LLM quota exhausted at ${host} (not retried): ${failure.message}`,
          );
        }
        case 'fatal':
          throw new UnrecoverableError(
            `LLM at ${host} refused the request (not retried): ${failure.message}`,
          );
        case 'transient':
          throw new Error(
            `LLM call to ${host} failed (${retryNote(job, deps.maxStartedAttempts)}): ${failure.message}`,
            { cause: error },
          );
      }
    }
  });
}
