import OpenAI from 'openai';

/**
 * The model declined to answer (OpenAI's structured `refusal`). At temperature 0 the same prompt
 * is refused again, so it is not retried.
 */
export class LlmRefusal extends Error {
  constructor(refusal: string) {
    super(`the model refused to summarize: ${JSON.stringify(refusal.slice(0, 200))}`);
    this.name = 'LlmRefusal';
  }
}

/** What the queue should do about a failed LLM call. */
export type LlmFailure =
  | { kind: 'rate_limited'; retryAfterMs: number | undefined }
  | { kind: 'quota'; message: string }
  | { kind: 'transient'; message: string }
  | { kind: 'fatal'; message: string };

/** "6m0s", "1.5s", "20ms": the format of OpenAI's x-ratelimit-reset-* headers. */
export function parseResetDuration(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map(p => p[0]).join('') !== text.trim()) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((total, [, n, u]) => total + Number(n) * unit[u as keyof typeof unit], 0);
}

/** Which of the provider's limits a 429 is about (OpenAI's error type says). */
export type LimitKind = 'requests' | 'tokens';

/**
 * How long a 429 asks to wait: retry-after-ms, then retry-after (seconds or an HTTP date), then
 * x-ratelimit-reset-requests, or x-ratelimit-reset-tokens when the tokens limit was hit.
 * Undefined when the server says nothing.
 */
export function retryAfterMs(
  headers: Headers | undefined,
  now = Date.now(),
  limit: LimitKind = 'requests',
): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1_000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return parseResetDuration(headers.get(`x-ratelimit-reset-${limit}`));
}

/**
 * What a provider's answer says of its tokens limit (x-ratelimit-remaining-tokens and
 * x-ratelimit-reset-tokens, as OpenAI sends them), or undefined when it says nothing.
 */
export function tokenLimitOf(
  headers: Headers | undefined,
): { remaining: number; resetMs: number | undefined } | undefined {
  const text = headers?.get('x-ratelimit-remaining-tokens');
  const remaining = Number(text);
  if (!text || !Number.isFinite(remaining)) return undefined;
  return { remaining, resetMs: parseResetDuration(headers?.get('x-ratelimit-reset-tokens')) };
}

export function classifyLlmError(error: unknown): LlmFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof OpenAI.APIError && error.status === 429) {
    // Out of credit does not come back by waiting.
    if (error.code === 'insufficient_quota' || /insufficient_quota|billing/i.test(message)) {
      return { kind: 'quota', message };
    }
    const limit = error.type === 'tokens' ? 'tokens' : 'requests';
    return { kind: 'rate_limited', retryAfterMs: retryAfterMs(error.headers, Date.now(), limit) };
  }
  if (
    error instanceof OpenAI.APIConnectionError ||
    (error instanceof OpenAI.APIError &&
      (error.status === undefined ||
        error.status >= 500 ||
        error.status === 408 ||
        error.status === 409))
  ) {
    return { kind: 'transient', message };
  }
  if (error instanceof OpenAI.APIError || error instanceof LlmRefusal) {
    return { kind: 'fatal', message };
  }
  // A malformed answer may come out right on the next try.
  return { kind: 'transient', message };
}

/** How one HTTP request to the provider ended, for counting them. */
export type LlmRequestOutcome = 'ok' | '429' | '5xx' | 'timeout' | 'error';

/** A failed request's outcome: every 429 (rate limit or quota), 5xx, timeout, or anything else. */
export function requestOutcome(error: unknown): Exclude<LlmRequestOutcome, 'ok'> {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return 'timeout';
  if (error instanceof OpenAI.APIError && error.status === 429) return '429';
  if (error instanceof OpenAI.APIError && error.status !== undefined && error.status >= 500) {
    return '5xx';
  }
  return 'error';
}
