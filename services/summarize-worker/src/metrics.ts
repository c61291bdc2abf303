import { metricsRegistry } from '@etml/runtime';
import type { LlmRequestOutcome, LlmRequestRecord } from '@etml/summarization';
import { Counter, Histogram } from 'prom-client';

const registers = [metricsRegistry];

const duration = new Histogram({
  name: 'etml_llm_request_duration_seconds',
  help: 'Time of each HTTP request to the LLM provider, by outcome',
  labelNames: ['outcome'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
  registers,
});

const requests = new Counter({
  name: 'etml_llm_requests_total',
  help: 'HTTP requests to the LLM provider, by outcome (ok, 429, 5xx, timeout, error)',
  labelNames: ['outcome'] as const,
  registers,
});

const tokens = new Counter({
  name: 'etml_llm_tokens_total',
  help: "Tokens the LLM provider's answers reported, by kind (prompt, completion)",
  labelNames: ['kind'] as const,
  registers,
});

const cacheHits = new Counter({
  name: 'etml_llm_cache_hits_total',
  help: 'LLM summaries taken from the summary cache instead of a request',
  registers,
});

// Every series from the start, at 0, so a rate or a ratio has both sides before the first 429.
const OUTCOMES: readonly LlmRequestOutcome[] = ['ok', '429', '5xx', 'timeout', 'error'];
for (const outcome of OUTCOMES) requests.inc({ outcome }, 0);
for (const kind of ['prompt', 'completion']) tokens.inc({ kind }, 0);

/** The summarizer's onRequest: one HTTP request to the provider. */
export function observeLlmRequest({ outcome, seconds, usage }: LlmRequestRecord): void {
  duration.observe({ outcome }, seconds);
  requests.inc({ outcome });
  if (usage) {
    tokens.inc({ kind: 'prompt' }, usage.promptTokens);
    tokens.inc({ kind: 'completion' }, usage.completionTokens);
  }
}

/** A ride that would have called the LLM got its summary from the cache. */
export function observeLlmCacheHit(): void {
  cacheHits.inc();
}
