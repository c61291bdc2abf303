import type { EnvSource } from '@etml/config';
import { codeVersion, createLogger, resolveLogFormat, runService } from '@etml/runtime';
import {
  endpointHost,
  extractiveSummarizer,
  llmSummarizer,
  OpenAISummarizer,
  type Summarizer,
} from '@etml/summarization';
import { loadEnv, type SummarizerChoice, type SummarizeWorkerEnv } from './env.ts';
import { observeLlmRequest } from './metrics.ts';
import { createSummarizeWorker, type SummarizeWorkerOptions } from './worker.ts';

export function summarizerFor(choice: SummarizerChoice): Summarizer {
  if (choice.kind === 'extractive') return extractiveSummarizer;
  return llmSummarizer(
    new OpenAISummarizer({
      apiKey: choice.apiKey,
      baseURL: choice.baseURL,
      model: choice.model,
      timeoutMs: choice.timeoutMs,
      onRequest: observeLlmRequest,
    }),
  );
}

/** The worker's settings from its environment; the caller adds Redis, S3 and a logger. */
export function workerSettings(
  env: SummarizeWorkerEnv,
): Omit<SummarizeWorkerOptions, 'redisUrl' | 'store' | 'log'> {
  return {
    summarizer: summarizerFor(env.summarizer),
    maxRequestsPerMinute: env.maxRequestsPerMinute,
    maxTokensPerMinute: env.maxTokensPerMinute,
    budget: env.budget,
    llmConcurrency: env.llmConcurrency,
    limiterWindowMs: env.limiterWindowMs,
    callTimeoutMs: env.summarizer.kind === 'llm' ? env.summarizer.timeoutMs : undefined,
    retry: env.retry,
    webhook: env.webhookUrl ? { url: env.webhookUrl } : undefined,
    alert: env.alertUrl
      ? { webhook: { url: env.alertUrl }, failedSummaryShare: env.failedSummaryShare }
      : undefined,
    worker: env.worker,
    codeVersion: codeVersion(),
  };
}

const NAME = 'summarize-worker';

/**
 * The configuration, and without an LLM a warning that says so before anything else is done: a
 * banner for a person at a terminal, one line for a log stack. Loud on purpose: a deployment
 * that forgot its key should not look like it works.
 */
function loadEnvLoudly(source: EnvSource): SummarizeWorkerEnv {
  const env = loadEnv(source);
  if (env.summarizer.kind !== 'extractive') return env;
  const fix = 'Set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server).';
  if (resolveLogFormat(env.log.format) === 'json') {
    createLogger(NAME, undefined, env.log).warn(
      `NO LLM: ${env.summarizer.why}. Summaries come from the offline extractive summarizer. ${fix}`,
    );
    return env;
  }
  process.stderr.write(
    [
      '',
      '************************************************************************',
      `* NO LLM: ${env.summarizer.why}.`,
      '* Summaries come from the offline extractive summarizer (context',
      '* sentences picked by keyword rules), marked summary_source "extractive".',
      `* ${fix}`,
      '************************************************************************',
      '',
    ].join('\n'),
  );
  return env;
}

/** The composition root: the workers on runService's connections, until SIGTERM. */
export function start() {
  return runService({
    name: NAME,
    loadEnv: loadEnvLoudly,
    needsStore: true,
    start: async ({ env, log, redis, store }) => {
      const { close } = createSummarizeWorker({
        redisUrl: redis.value,
        store: store.value,
        ...workerSettings(env),
        log,
      });
      return {
        ready: {
          redis: redis.description,
          s3: store.description,
          summarizer:
            env.summarizer.kind === 'llm'
              ? // The host only: a base URL may carry credentials or a key in its query.
                `${env.summarizer.model} at ${endpointHost(env.summarizer.baseURL)}`
              : 'extractive',
          maxRequestsPerMinute: env.maxRequestsPerMinute,
          maxTokensPerMinute: env.maxTokensPerMinute ?? 'unlimited',
          maxSummariesPerDay: env.budget.maxSummaries ?? 'unlimited',
          maxCostPerDayUsd: env.budget.maxCostUsd ?? 'unlimited',
          llmConcurrency: env.llmConcurrency,
        },
        close,
      };
    },
  });
}
