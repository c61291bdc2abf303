import { keys, parseRideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { simulateRides } from '@etml/simulate';
import { startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf } from './helpers.ts';
import { uploadDistinctDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

describe('the services as processes, followed by etml run', () => {
  test('a day runs offline with no API key: the extractive summarizer, announced loudly', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    await store.writeNdjson(
      keys.raw(date, 'jsonl'),
      simulateRides({ date, rides: 1_000, seed: 3 }),
    );
    startService('cluster-worker', env);
    const summarize = startService('summarize-worker', env);

    const run = await runEtml(['run', '--date', date], env);
    expect(run.stderr).toContain('enqueued');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`output/date=${date}/rides.jsonl`);
    expect(run.stdout).toContain(`output/date=${date}/_manifest.json`);
    expect(summarize.stderr()).toMatch(/NO LLM: OPENAI_API_KEY is not set/);
    // One info line per step of the day, none per summary (those are debug).
    const info = summarize
      .stderr()
      .split('\n')
      .filter(line => / INFO summarize-worker /.test(line));
    expect(info.filter(line => /queue=summarize|job=summarize-/.test(line))).toEqual([]);
    expect(info.filter(line => line.includes('fan-out done'))).toHaveLength(1);
    expect(info.filter(line => line.includes(`job=load-${date}`))).toHaveLength(2);

    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    expect(manifest.counts.anomalies).toBeGreaterThan(10);
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: 0,
      extractive: manifest.counts.anomalies,
      failed: 0,
    });
    expect(manifest.llm).toMatchObject({ model: 'extractive-v1', calls: 0, estimated_cost_usd: 0 });

    const again = await runEtml(['run', '--date', date], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already done');

    // --force computes the day again: the same bytes, a new manifest.
    const before = await store.getBytes(keys.output(date, 'rides.jsonl'));
    const forced = await runEtml(['run', '--date', date, '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('enqueued');
    expect(await store.getBytes(keys.output(date, 'rides.jsonl'))).toEqual(before);
    const remade = await store.getJson<DayManifest>(keys.manifest(date));
    expect(remade.created_at > manifest.created_at).toBe(true);
  });

  test('etml run exits 1 naming the step that failed and why', async ({ redis, s3 }) => {
    const env = { ...s3Env(s3), REDIS_URL: redis.url, RAW_WAIT_MINUTES: '0' };
    startService('cluster-worker', env);
    const run = await runEtml(['run', '--date', date], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/etml: cluster-2025-07-30 failed: no raw input for 2025-07-30/);
    expect(run.stderr).toContain(`raw/date=${date}/rides.{json,jsonl,csv}`);
  });

  test('two summarize-worker processes share one sliding-window limit: 0 429s from a provider with the same limit', async ({
    redis,
    s3,
  }) => {
    // 60 requests per 6 s window on both sides: the minute shortened tenfold, same arithmetic.
    const fake = await startFakeLlm({ rpm: 60, windowMs: 6_000 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 3_000);
    const env = {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.url,
      LLM_MAX_REQUESTS_PER_MINUTE: '60',
      LLM_RATE_WINDOW_SECONDS: '6',
      LLM_CONCURRENCY: '8',
    };
    startService('cluster-worker', env);
    startService('summarize-worker', env);
    startService('summarize-worker', env);

    const run = await runEtml(['run', '--date', date, '--timeout-minutes', '2'], env);
    expect(run.code, run.stderr).toBe(0);
    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    const anomalies = manifest.counts.anomalies;
    expect(anomalies).toBeGreaterThan(100);
    expect(manifest.counts.summaries_by_source.llm).toBe(anomalies);
    expect(manifest.llm.calls).toBe(anomalies);
    expect(fake.count(429)).toBe(0);
    expect(fake.count(200)).toBe(anomalies);
    // The limit was reached, not merely never approached.
    expect(fake.peakInWindow()).toBe(60);
  });
});

describe('summarize-worker shutdown', () => {
  test('SIGTERM during LLM calls exits within the grace period, and another worker completes the jobs', async ({
    redis,
    s3,
  }) => {
    const fake = await startFakeLlm({ latencyMs: 60_000 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 400);
    const env = {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.url,
    };
    startService('cluster-worker', env);
    const first = startService('summarize-worker', env);
    const run = runEtml(['run', '--date', date, '--timeout-minutes', '2'], env);
    // Wait until the first worker has calls on the wire that will not answer for a minute.
    const deadline = Date.now() + 30_000;
    while (fake.pending() < 4 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    expect(fake.pending()).toBeGreaterThanOrEqual(4);
    const stopping = Date.now();
    expect(await first.stop()).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(15_000);
    expect(first.stderr()).toContain('SIGTERM');
    expect(fake.requests).toHaveLength(0);

    fake.configure({});
    startService('summarize-worker', env);
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: manifest.counts.anomalies,
      extractive: 0,
      failed: 0,
    });
  });
});
