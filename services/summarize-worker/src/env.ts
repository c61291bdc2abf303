import {
  type EnvSource,
  jobLockEnv,
  jobLockOptions,
  llmEnv,
  parseEnv,
  reportEnv,
} from '@etml/config';
import { ConfigError } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';

const shape = { ...infraEnv, ...llmEnv, ...reportEnv, ...jobLockEnv };

export type SummarizerChoice =
  | { kind: 'llm'; apiKey: string; baseURL: string | undefined; model: string; timeoutMs: number }
  | { kind: 'extractive'; why: string };

export interface SummarizeWorkerEnv {
  infra: Infra;
  summarizer: SummarizerChoice;
  /** LLM requests per minute, across every summarize-worker process. */
  maxRequestsPerMinute: number;
  /** LLM calls in flight in this process. */
  llmConcurrency: number;
  limiterWindowMs: number;
  /** Tries per summary for 5xx, timeouts and malformed answers, and the first backoff. */
  retry: { attempts: number; backoffMs: number };
  /** Where to announce each completed day, if anywhere. */
  webhookUrl: string | undefined;
  worker: { lockDuration: number; stalledInterval: number };
}

/** The summarize-worker's configuration; the only place it reads the environment. */
export function loadEnv(source: EnvSource = process.env): SummarizeWorkerEnv {
  const env = parseEnv(shape, source);
  const useLlm =
    env.SUMMARIZER === 'llm' || (env.SUMMARIZER === 'auto' && env.OPENAI_API_KEY !== undefined);
  if (useLlm && env.OPENAI_API_KEY === undefined) {
    throw new ConfigError(['OPENAI_API_KEY is required with SUMMARIZER=llm']);
  }
  return {
    infra: infraFrom(env),
    summarizer:
      useLlm && env.OPENAI_API_KEY !== undefined
        ? {
            kind: 'llm',
            apiKey: env.OPENAI_API_KEY,
            baseURL: env.OPENAI_BASE_URL,
            model: env.OPENAI_MODEL,
            timeoutMs: env.LLM_TIMEOUT_SECONDS * 1_000,
          }
        : {
            kind: 'extractive',
            why:
              env.SUMMARIZER === 'extractive'
                ? 'SUMMARIZER=extractive'
                : 'OPENAI_API_KEY is not set',
          },
    maxRequestsPerMinute: env.LLM_MAX_REQUESTS_PER_MINUTE,
    llmConcurrency: env.LLM_CONCURRENCY,
    limiterWindowMs: Math.round(env.LLM_RATE_WINDOW_SECONDS * 1_000),
    retry: { attempts: env.LLM_ATTEMPTS, backoffMs: Math.round(env.LLM_BACKOFF_SECONDS * 1_000) },
    webhookUrl: env.REPORT_WEBHOOK_URL,
    worker: jobLockOptions(env.JOB_LOCK_SECONDS),
  };
}
