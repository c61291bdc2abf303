import {
  alertEnv,
  alertUrl,
  type EnvSource,
  envNumber,
  jobLockEnv,
  jobLockOptions,
  llmEnv,
  logEnv,
  logSettings,
  metricsEnv,
  parseEnv,
  reportEnv,
  type TracingEnv,
  tracingEnv,
  tracingFrom,
} from '@etml/config';
import { ConfigError, type LogSettings } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';
import {
  estimateRequestCostUsd,
  estimateRequestTokens,
  LARGEST_PROMPT,
  MAX_COMPLETION_TOKENS,
} from '@etml/summarization';
import type { DayBudget } from './load/budget.ts';

const shape = {
  ...infraEnv,
  ...llmEnv,
  ...reportEnv,
  ...alertEnv,
  ...jobLockEnv,
  ...metricsEnv,
  ...logEnv,
  ...tracingEnv,
  ALERT_FAILED_SUMMARY_SHARE: envNumber({ min: 0, max: 1 }).default(0.05),
};

export type SummarizerChoice =
  | { kind: 'llm'; apiKey: string; baseURL: string | undefined; model: string; timeoutMs: number }
  | { kind: 'extractive'; why: string };

export interface SummarizeWorkerEnv {
  infra: Infra;
  /** LOG_FORMAT, LOG_LEVEL, and the secrets no log line may show. */
  log: LogSettings;
  /** METRICS_PORT: Prometheus /metrics is served there; undefined: no metrics server. */
  metricsPort: number | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; undefined: no tracing. */
  tracing: TracingEnv | undefined;
  summarizer: SummarizerChoice;
  /** LLM requests per minute, across every summarize-worker process. */
  maxRequestsPerMinute: number;
  /** LLM tokens per minute, in the same window; undefined: no tokens limit. */
  maxTokensPerMinute: number | undefined;
  /** The day's LLM limits. */
  budget: DayBudget;
  /** LLM calls in flight in this process. */
  llmConcurrency: number;
  limiterWindowMs: number;
  /** Tries per summary for 5xx, timeouts and malformed answers, and the first backoff. */
  retry: { attempts: number; backoffMs: number };
  /** Where to announce each completed day, if anywhere. */
  webhookUrl: string | undefined;
  /** Where a failed day is announced (ALERT_WEBHOOK_URL, else REPORT_WEBHOOK_URL), if anywhere. */
  alertUrl: string | undefined;
  /** More than this share of a day's summaries failed: a failed alert. */
  failedSummaryShare: number;
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
  const problems = limitProblems(env, useLlm, source);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    infra: infraFrom(env),
    log: logSettings(env, source),
    metricsPort: env.METRICS_PORT,
    tracing: tracingFrom(env),
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
    maxTokensPerMinute: env.LLM_MAX_TOKENS_PER_MINUTE,
    budget: {
      maxSummaries: env.LLM_MAX_SUMMARIES_PER_DAY,
      maxCostUsd: env.LLM_MAX_COST_PER_DAY_USD,
    },
    llmConcurrency: env.LLM_CONCURRENCY,
    limiterWindowMs: Math.round(env.LLM_RATE_WINDOW_SECONDS * 1_000),
    retry: { attempts: env.LLM_ATTEMPTS, backoffMs: Math.round(env.LLM_BACKOFF_SECONDS * 1_000) },
    webhookUrl: env.REPORT_WEBHOOK_URL,
    alertUrl: alertUrl(env),
    failedSummaryShare: env.ALERT_FAILED_SUMMARY_SHARE,
    worker: jobLockOptions(env.JOB_LOCK_SECONDS),
  };
}

/**
 * Limits that no request could ever fit are refused at start rather than stalling every day:
 * a tokens limit below the largest request, and a cost budget below the largest request's cost,
 * or one the model's unknown price cannot be held to.
 */
function limitProblems(
  env: ReturnType<typeof parseEnv<typeof shape>>,
  useLlm: boolean,
  source: EnvSource,
): string[] {
  const got = (name: string) => `got ${JSON.stringify(source[name]?.trim())}`;
  const problems: string[] = [];
  const largest = estimateRequestTokens(LARGEST_PROMPT);
  if (env.LLM_MAX_TOKENS_PER_MINUTE !== undefined && env.LLM_MAX_TOKENS_PER_MINUTE < largest) {
    problems.push(
      `LLM_MAX_TOKENS_PER_MINUTE must be at least ${largest} (the most one request can use, ` +
        `its longest prompt and ${MAX_COMPLETION_TOKENS} completion tokens), ${got('LLM_MAX_TOKENS_PER_MINUTE')}`,
    );
  }
  const maxCost = env.LLM_MAX_COST_PER_DAY_USD;
  if (useLlm && maxCost !== undefined) {
    const cost = estimateRequestCostUsd(env.OPENAI_MODEL, LARGEST_PROMPT);
    if (cost === null) {
      problems.push(
        `LLM_MAX_COST_PER_DAY_USD cannot be kept: OPENAI_MODEL ${JSON.stringify(env.OPENAI_MODEL)} ` +
          `has no known list price (limit the day with LLM_MAX_SUMMARIES_PER_DAY instead), ${got('LLM_MAX_COST_PER_DAY_USD')}`,
      );
    } else if (maxCost < cost) {
      problems.push(
        `LLM_MAX_COST_PER_DAY_USD must cover one request to ${env.OPENAI_MODEL} ` +
          `(at least ${cost.toFixed(6)} USD at list price), ${got('LLM_MAX_COST_PER_DAY_USD')}`,
      );
    }
  }
  return problems;
}
