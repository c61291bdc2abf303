import { parseRideDate } from '@etml/domain';
import { buildPrompt, estimateRequestCostUsd } from '@etml/summarization';
import type { DayBudget, SummarizeWorkerOptions } from '@etml/summarize-worker';
import {
  type FakeLlmOptions,
  type RedisTarget,
  type S3Target,
  startFakeLlm,
  test,
} from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, storeOf } from './helpers.ts';
import {
  llm,
  type OutputRide,
  readOutputDay,
  startPipeline,
  uploadClusteredDay,
  uploadDistinctDay,
} from './pipeline.ts';

const date = parseRideDate('2025-07-30');

/**
 * 50 rides, 40 of them anomalous, each with its own news (so its own prompt) of the same length
 * (so the same estimated cost). Scores are a permutation of 0, 0.25 … 9.75, except the last
 * anomaly's, which ties the 10th highest (7.5, ride a30) and must lose the tie to it.
 */
function clusteredDay() {
  const rides: (Record<string, unknown> & { anomaly: boolean })[] = [];
  for (let i = 0; i < 50; i++) {
    const anomaly = i < 40;
    const id = anomaly ? `a${String(i).padStart(2, '0')}` : `n${String(i).padStart(2, '0')}`;
    rides.push({
      ride_id: id,
      ride_dist: 3,
      ride_time: 0.2,
      news: `The city marathon closes Princes Street. Ride reference ${id}.`,
      weather: 'Heavy rain in the afternoon.',
      traffic: 'A crash has blocked the M8 westbound.',
      label: anomaly ? -1 : 0,
      anomaly,
      anomaly_reasons: anomaly ? ['high_speed'] : [],
      anomaly_score: anomaly ? (i === 39 ? 7.5 : ((i * 17) % 40) / 4) : 0,
    });
  }
  return rides;
}

/** The ids of the n anomalies with the highest scores, earlier first on a tie. */
function mostSevere(rides: ReturnType<typeof clusteredDay>, n: number): string[] {
  return rides
    .map((ride, i) => ({ id: ride.ride_id as string, score: ride.anomaly_score as number, i }))
    .filter(r => r.id.startsWith('a'))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, n)
    .map(r => r.id)
    .sort();
}

const readDay = (store: ReturnType<typeof storeOf>) => readOutputDay(store, date);

const idsWith = (rides: OutputRide[], source: string) =>
  rides
    .filter(r => r.summary_source === source)
    .map(r => r.ride_id)
    .sort();

const askedAbout = (users: readonly { user: string }[]) =>
  users.map(r => /Ride reference (\w+)\./.exec(r.user)?.[1]).sort();

/** The 40-anomaly day, loaded by a summarize-worker with this budget, against a fake provider. */
async function loadBudgetDay(redis: RedisTarget, s3: S3Target, budget: DayBudget) {
  const fake = await startFakeLlm();
  onTestFinished(() => fake.close());
  const store = storeOf(s3);
  const day = clusteredDay();
  await uploadClusteredDay(store, date, day);
  const pipeline = await startPipeline(redis, store, { summarizer: llm(fake.url), budget });
  await pipeline.loadDay(date);
  return { fake, store, day, pipeline, ...(await readDay(store)) };
}

describe('an LLM budget per day', () => {
  test('LLM_MAX_SUMMARIES_PER_DAY=10: the 10 highest scores get the LLM, the other 30 anomalies the offline summary, and a rerun is the same bytes with no call', async ({
    redis,
    s3,
  }) => {
    const { fake, store, day, pipeline, text, rides, manifest } = await loadBudgetDay(redis, s3, {
      maxSummaries: 10,
    });
    const top = mostSevere(day, 10);
    expect(top).toContain('a30');
    expect(top).not.toContain('a39');
    expect(idsWith(rides, 'llm')).toEqual(top);
    expect(idsWith(rides, 'extractive')).toHaveLength(30);
    expect(rides.filter(r => r.summary_source === 'extractive').every(r => r.summary)).toBe(true);
    expect(askedAbout(fake.requests)).toEqual(top);
    expect(manifest.counts.summaries_by_source).toEqual({ llm: 10, extractive: 30, failed: 0 });
    expect(manifest.llm.calls).toBe(10);
    const budget = manifest.llm.budget;
    expect(budget).toMatchObject({
      max_summaries_per_day: 10,
      max_cost_per_day_usd: null,
      planned_calls: 10,
      rides_llm: 10,
      rides_offline: 30,
    });
    expect(budget?.actual_cost_usd).toBe(manifest.llm.estimated_cost_usd);
    expect(budget?.actual_cost_usd).toBeGreaterThan(0);
    expect(budget?.actual_cost_usd).toBeLessThanOrEqual(budget?.planned_cost_usd ?? 0);

    // Cached prompts do not free the budget for the next rides: the same choice, at no cost.
    await pipeline.loadDay(date);
    const again = await readDay(store);
    expect(again.text).toBe(text);
    expect(fake.requests).toHaveLength(10);
    // Every summary, the offline ones too, now comes from the cache.
    expect(again.manifest.llm).toMatchObject({ calls: 0, cache_hits: 40 });
  });

  test('LLM_MAX_COST_PER_DAY_USD: the estimate before the fan-out picks the most severe rides whose calls fit, and the day costs no more', async ({
    redis,
    s3,
  }) => {
    // Every prompt is as long as this one: the budget pays for six and a half calls.
    const ride = clusteredDay()[0] as Record<string, string>;
    const perCall = estimateRequestCostUsd(
      'gpt-4o-mini',
      buildPrompt({ reasons: ['high_speed'], ...ride }),
    ) as number;
    const maxCostUsd = 6.5 * perCall;
    const { fake, day, rides, manifest } = await loadBudgetDay(redis, s3, { maxCostUsd });
    const top = mostSevere(day, 6);
    expect(idsWith(rides, 'llm')).toEqual(top);
    expect(askedAbout(fake.requests)).toEqual(top);
    expect(manifest.counts.summaries_by_source).toEqual({ llm: 6, extractive: 34, failed: 0 });
    const budget = manifest.llm.budget;
    expect(budget).toMatchObject({
      max_summaries_per_day: null,
      max_cost_per_day_usd: maxCostUsd,
      planned_calls: 6,
      rides_offline: 34,
    });
    expect(budget?.planned_cost_usd).toBeCloseTo(6 * perCall, 6);
    expect(budget?.planned_cost_usd).toBeLessThanOrEqual(maxCostUsd);
    expect(budget?.actual_cost_usd).toBeGreaterThan(0);
    expect(budget?.actual_cost_usd).toBeLessThanOrEqual(budget?.planned_cost_usd ?? 0);
  });
});

/** A simulated day of ~80 distinct prompts, run through the queues against a fake provider. */
async function runTokensDay(
  redis: RedisTarget,
  s3: S3Target,
  provider: FakeLlmOptions,
  worker: Partial<SummarizeWorkerOptions>,
) {
  const fake = await startFakeLlm(provider);
  onTestFinished(() => fake.close());
  const store = storeOf(s3);
  await uploadDistinctDay(store, date, 2_000);
  const pipeline = await startPipeline(redis, store, {
    summarizer: llm(fake.url),
    maxRequestsPerMinute: 10_000,
    limiterWindowMs: provider.windowMs,
    ...worker,
  });
  await pipeline.runDay(date);
  const { rides, manifest } = await readDay(store);
  const anomalies = rides.filter(r => r.anomaly);
  expect(anomalies.every(r => r.summary_source === 'llm')).toBe(true);
  expect(manifest.llm.calls).toBe(anomalies.length);
  return { fake, tokens: manifest.llm.prompt_tokens + manifest.llm.completion_tokens };
}

describe('an LLM tokens limit', () => {
  test('under a provider limit of 10,000 tokens per window, with the same LLM_MAX_TOKENS_PER_MINUTE: no request over either limit, and the limit used', async ({
    redis,
    s3,
  }) => {
    // The minute shortened to 2 s, so that a day of ~100 calls fills the window twice.
    const tpm = 10_000;
    const windowMs = 2_000;
    // No tokens headers: this is the shared window alone keeping the count.
    const { fake, tokens } = await runTokensDay(
      redis,
      s3,
      { tpm, windowMs, tokenHeaders: false },
      { maxTokensPerMinute: tpm, llmConcurrency: 8 },
    );
    expect(tokens).toBeGreaterThan(2 * tpm);
    expect(fake.overLimit()).toEqual({ requests: 0, tokens: 0 });
    expect(fake.count(429)).toBe(0);
    // The limit was reached, not merely never approached.
    expect(fake.peakTokensInWindow()).toBeGreaterThan(0.8 * tpm);
    expect(fake.peakTokensInWindow()).toBeLessThanOrEqual(tpm);
  });

  test("without a limit of its own, the provider's remaining tokens pause every call until their reset: none over", async ({
    redis,
    s3,
  }) => {
    const tpm = 8_000;
    const windowMs = 1_000;
    // One call at a time, so each one starts after the last answer's headers were read.
    const { fake, tokens } = await runTokensDay(
      redis,
      s3,
      { tpm, windowMs },
      { llmConcurrency: 1 },
    );
    expect(tokens).toBeGreaterThan(2 * tpm);
    expect(fake.overLimit()).toEqual({ requests: 0, tokens: 0 });
  });
});

describe('bad LLM limits at start', () => {
  test.for([
    [
      { LLM_MAX_SUMMARIES_PER_DAY: '-3' },
      'LLM_MAX_SUMMARIES_PER_DAY must be a whole number ≥ 1, got "-3"',
    ],
    [
      { LLM_MAX_COST_PER_DAY_USD: '-0.5' },
      'LLM_MAX_COST_PER_DAY_USD must be a number > 0, got "-0.5"',
    ],
    [
      { LLM_MAX_COST_PER_DAY_USD: '0.0001' },
      'LLM_MAX_COST_PER_DAY_USD must cover one request to gpt-4o-mini (at least 0.001172 USD at list price), got "0.0001"',
    ],
    [
      { LLM_MAX_COST_PER_DAY_USD: '5', OPENAI_MODEL: 'llama3' },
      'LLM_MAX_COST_PER_DAY_USD cannot be kept: OPENAI_MODEL "llama3" has no known list price',
    ],
    [{ LLM_MAX_TOKENS_PER_MINUTE: '1000' }, 'LLM_MAX_TOKENS_PER_MINUTE must be at least 6614'],
  ] as const)('the summarize-worker refuses %o in one line, exit 2', async ([bad, message]) => {
    const result = await runEtml(['summarize-worker'], {
      REDIS_URL: 'redis://127.0.0.1:9',
      OPENAI_API_KEY: 'sk-test',
      ...bad,
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});
