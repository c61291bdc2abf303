import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyLlmError, parseResetDuration, retryAfterMs, tokenLimitOf } from './errors.ts';

function apiError(status: number, headers: Record<string, string> = {}, body: object = {}) {
  return OpenAI.APIError.generate(status, body, 'failed', new Headers(headers));
}

describe('retryAfterMs', () => {
  it('prefers retry-after-ms, then retry-after seconds or date, then x-ratelimit-reset-requests', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2_000);
    const now = Date.parse('2025-07-30T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 30 Jul 2025 10:00:05 GMT' }), now)).toBe(
      5_000,
    );
    expect(retryAfterMs(new Headers({ 'x-ratelimit-reset-requests': '1m30s' }))).toBe(90_000);
    expect(retryAfterMs(new Headers({}))).toBeUndefined();
  });

  it('reads x-ratelimit-reset-tokens for a 429 about tokens', () => {
    const headers = new Headers({
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-reset-tokens': '1.5s',
    });
    expect(retryAfterMs(headers, Date.now(), 'tokens')).toBe(1_500);
    expect(retryAfterMs(headers)).toBe(120);
    expect(
      classifyLlmError(apiError(429, Object.fromEntries(headers), { error: { type: 'tokens' } })),
    ).toEqual({ kind: 'rate_limited', retryAfterMs: 1_500 });
  });

  it('reads the tokens a provider has left after an answer, and when they reset', () => {
    expect(
      tokenLimitOf(
        new Headers({ 'x-ratelimit-remaining-tokens': '1200', 'x-ratelimit-reset-tokens': '6m0s' }),
      ),
    ).toEqual({ remaining: 1_200, resetMs: 360_000 });
    expect(tokenLimitOf(new Headers({ 'x-ratelimit-remaining-tokens': '0' }))).toEqual({
      remaining: 0,
      resetMs: undefined,
    });
    expect(tokenLimitOf(new Headers({ 'x-ratelimit-remaining-tokens': 'lots' }))).toBeUndefined();
    expect(tokenLimitOf(new Headers({}))).toBeUndefined();
  });

  it('reads OpenAI reset durations', () => {
    expect(parseResetDuration('20ms')).toBe(20);
    expect(parseResetDuration('1.5s')).toBe(1_500);
    expect(parseResetDuration('6m0s')).toBe(360_000);
    expect(parseResetDuration('soon')).toBeUndefined();
  });
});

describe('classifyLlmError', () => {
  it('tells rate limits, exhausted quota, transient and fatal failures apart', () => {
    expect(classifyLlmError(apiError(429, { 'retry-after': '3' }))).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 3_000,
    });
    expect(
      classifyLlmError(
        apiError(
          429,
          {},
          { error: { code: 'insufficient_quota', message: 'You exceeded your current quota' } },
        ),
      ).kind,
    ).toBe('quota');
    expect(classifyLlmError(apiError(503)).kind).toBe('transient');
    expect(
      classifyLlmError(new OpenAI.APIConnectionError({ message: 'socket hang up' })).kind,
    ).toBe('transient');
    expect(classifyLlmError(apiError(401)).kind).toBe('fatal');
    expect(classifyLlmError(new Error('the model answer is not JSON')).kind).toBe('transient');
  });
});
