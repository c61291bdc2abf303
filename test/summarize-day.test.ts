import { keys, parseRideDate } from '@etml/domain';
import { jobIds } from '@etml/queues';
import { startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, storeOf } from './helpers.ts';
import {
  llm,
  readOutputDay,
  startFakeLlmFailingOneRide,
  startPipeline,
  uploadDistinctDay,
  uploadSimulatedDay,
} from './pipeline.ts';

const date = parseRideDate('2025-07-30');

const readOutput = (store: ReturnType<typeof storeOf>) => readOutputDay(store, date);

describe('a day end to end: cluster, summarize each anomaly, load', () => {
  test('2,000 rides: every anomaly summarized, no prompt sent twice, and a forced rerun is byte-identical with 0 LLM calls', async ({
    redis,
    s3,
  }) => {
    const fake = await startFakeLlm();
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadSimulatedDay(store, date, 2_000);
    const pipeline = await startPipeline(redis, store, { summarizer: llm(fake.url) });

    const first = await pipeline.runDay(date);
    const { text, rides, manifest } = await readOutput(store);
    expect(rides).toHaveLength(2_000);
    const anomalies = rides.filter(r => r.anomaly);
    expect(anomalies.length).toBeGreaterThan(50);
    for (const ride of anomalies) {
      expect(ride.summary_source).toBe('llm');
      expect(ride.summary).toMatch(/anomalous/);
      expect(ride.likely_cause).toMatch(/^[a-z_]+$/);
    }
    for (const ride of rides.filter(r => !r.anomaly)) {
      expect([ride.summary, ride.summary_source, ride.likely_cause]).toEqual([null, null, null]);
    }
    const prompts = fake.requests.map(r => r.user);
    expect(new Set(prompts).size).toBe(prompts.length);
    expect(manifest.llm.calls).toBe(prompts.length);
    expect(manifest.llm.calls + manifest.llm.cache_hits).toBe(anomalies.length);
    expect(manifest.counts).toMatchObject({
      rides: 2_000,
      valid: 2_000,
      anomalies: anomalies.length,
    });
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: anomalies.length,
      extractive: 0,
      failed: 0,
    });
    expect(manifest.llm.prompt_tokens).toBeGreaterThan(0);
    expect(manifest.llm.estimated_cost_usd).toBeGreaterThan(0);
    expect(first.counts.anomalies).toBe(anomalies.length);

    const callsBefore = fake.requests.length;
    await pipeline.runDay(date);
    const again = await readOutput(store);
    expect(again.text).toBe(text);
    expect(fake.requests.length).toBe(callsBefore);
    expect(again.manifest.llm.calls).toBe(0);
    expect(again.manifest.llm.cache_hits).toBe(anomalies.length);
    expect(again.manifest.files['rides.jsonl']?.sha256).toBe(manifest.files['rides.jsonl']?.sha256);
  });
});

describe('LLM faults: no day fails', () => {
  test('a provider limited below the configured rate answers 429s; they are honoured and every summary arrives', async ({
    redis,
    s3,
  }) => {
    const fake = await startFakeLlm({ rpm: 20, windowMs: 3_000 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 2_000);
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      maxRequestsPerMinute: 60,
      limiterWindowMs: 3_000,
      llmConcurrency: 8,
    });
    await pipeline.runDay(date, 60_000);
    const { rides, manifest } = await readOutput(store);
    const anomalies = rides.filter(r => r.anomaly);
    expect(fake.count(429)).toBeGreaterThan(0);
    expect(anomalies.every(r => r.summary_source === 'llm' && r.summary)).toBe(true);
    expect(manifest.llm.calls).toBe(anomalies.length);
    expect(await pipeline.summarizeQueue.getJobCountByTypes('failed')).toBe(0);
    // Honoured: after a 429 named its wait, nothing more was sent until the wait was over,
    // but for calls already under way when it came (at most the 8 in flight, sent just before).
    for (const refused of fake.requests.filter(r => r.status === 429)) {
      const wait = refused.retryAfterMs ?? 0;
      const after = fake.requests.filter(r => r.at > refused.at && r.at < refused.at + wait - 50);
      expect(after.filter(r => r.at > refused.at + 300)).toEqual([]);
      expect(after.length).toBeLessThanOrEqual(8);
    }
  });

  test('with 20 % of requests answered 500, every summary still arrives', async ({ redis, s3 }) => {
    const fake = await startFakeLlm({ failRate: 0.2 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 2_000);
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      retry: { attempts: 6, backoffMs: 50 },
    });
    await pipeline.runDay(date);
    const { rides, manifest } = await readOutput(store);
    const anomalies = rides.filter(r => r.anomaly);
    expect(fake.count(500)).toBeGreaterThan(5);
    expect(anomalies.every(r => r.summary_source === 'llm')).toBe(true);
    expect(manifest.counts.summaries_by_source.failed).toBe(0);
    expect(manifest.llm.calls).toBe(anomalies.length);
  });

  test('a prompt that always fails leaves the day loaded, with that ride marked failed and why', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 2_000);
    // The first ride the provider is asked about is the one whose prompt always fails.
    const { fake, victim: victimOf } = await startFakeLlmFailingOneRide();
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      retry: { attempts: 3, backoffMs: 50 },
    });
    await pipeline.runDay(date);
    const victim = victimOf();
    const { rides, manifest } = await readOutput(store);
    const failed = rides.filter(r => r.summary_source === 'failed');
    expect(failed.map(r => r.ride_id)).toEqual([victim]);
    expect(failed[0]).toMatchObject({ summary: null, likely_cause: null });
    expect(failed[0]?.summary_error).toMatch(/500|server had an error/);
    expect(fake.requests.filter(r => r.status === 500)).toHaveLength(3);
    expect(manifest.counts.summaries_by_source.failed).toBe(1);
    expect(manifest.failed_summaries).toEqual([
      { ride_id: victim, reason: failed[0]?.summary_error },
    ]);
    expect(rides.filter(r => r.anomaly && r.summary_source === 'llm').length).toBe(
      manifest.counts.anomalies - 1,
    );

    // etml status shows the day's steps, the failure and its reason, and where the outputs are.
    const status = await runEtml(['status', '--date', date], {
      ...s3Env(s3),
      REDIS_URL: redis.url,
    });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`cluster-${date}: completed`);
    expect(status.stdout).toContain(`load-${date}: completed`);
    expect(status.stdout).toContain(
      `summaries: ${manifest.counts.anomalies - 1} done, 1 failed, 0 pending`,
    );
    expect(status.stdout).toMatch(new RegExp(`summarize-${date}-${victim}: .*500`));
    expect(status.stdout).toContain(`output/date=${date}/_manifest.json (complete`);
    // The ten most severe anomalies, most severe first, as the output rides score them.
    const severe = [...rides]
      .filter(r => r.anomaly)
      .sort((a, b) => b.anomaly_score - a.anomaly_score || 0)
      .slice(0, 10);
    expect(status.stdout).toContain(
      `anomalies: ${manifest.counts.anomalies}; the 10 most severe (anomaly_score):`,
    );
    const listed = [...status.stdout.matchAll(/^ +([0-9.]+) {2}ride (\S+):/gm)];
    expect(listed.map(m => Number(m[1]))).toEqual(
      severe.map(r => Number(r.anomaly_score.toFixed(2))),
    );
    expect(listed[0]?.[2]).toBe(`${severe[0]?.ride_id}`);
  });

  test('an exhausted quota fails the summaries at once, without a call per ride, and the day still loads', async ({
    redis,
    s3,
  }) => {
    const fake = await startFakeLlm({ quotaExhausted: true });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 2_000);
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      llmConcurrency: 2,
    });
    await pipeline.runDay(date);
    const { manifest } = await readOutput(store);
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: 0,
      extractive: 0,
      failed: manifest.counts.anomalies,
    });
    expect(manifest.failed_summaries[0]?.reason).toMatch(/quota/);
    expect(fake.requests.length).toBeLessThanOrEqual(2);
  });
});

describe('a day clustered again while it is being summarized', () => {
  test('the load notices before writing, fans out again, and the outputs match the new clustering', async ({
    redis,
    s3,
  }) => {
    const fake = await startFakeLlm({ latencyMs: 300 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadSimulatedDay(store, date, 600, 1);
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      llmConcurrency: 2,
    });
    const running = pipeline.runDay(date);
    const load = async () => pipeline.loadQueue.getJob(jobIds.loadDay(date));
    while ((await (await load())?.getState()) !== 'waiting-children') {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    // A corrected input arrives, and cluster-D is retried (as from the board).
    await uploadSimulatedDay(store, date, 900, 2);
    await (await pipeline.clusterQueue.getJob(jobIds.clusterDay(date)))?.retry('completed');
    await running;

    const { rides, manifest } = await readOutput(store);
    const clustering = await store.getJson<{ valid: number; anomalies: number }>(
      keys.clustering(date),
    );
    expect(clustering.valid).toBe(900);
    expect(rides).toHaveLength(900);
    expect(manifest.counts).toMatchObject({ valid: 900, anomalies: clustering.anomalies });
    const anomalies = rides.filter(r => r.anomaly);
    expect(anomalies).toHaveLength(clustering.anomalies);
    expect(anomalies.every(r => r.summary_source === 'llm')).toBe(true);
    const logs = await pipeline.loadQueue.getJobLogs(jobIds.loadDay(date));
    expect(logs.logs.join('\n')).toContain('clustered again since the fan-out');
  });
});
