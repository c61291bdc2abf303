import { keys, parseRideDate } from '@etml/domain';
import type { DayManifest } from '@etml/summarize-worker';
import { startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { storeOf } from './helpers.ts';
import { llm, startPipeline, uploadSimulatedDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

interface OutputRide {
  ride_id: string;
  anomaly: boolean;
  anomaly_reasons: string[];
  summary: string | null;
  summary_source: string | null;
  likely_cause: string | null;
  summary_error: string | null;
}

async function readOutput(store: ReturnType<typeof storeOf>) {
  const text = (await store.getBytes(keys.output(date, 'rides.jsonl'))).toString('utf8');
  const rides = text
    .trim()
    .split('\n')
    .map(line => JSON.parse(line) as OutputRide);
  const manifest = await store.getJson<DayManifest>(keys.manifest(date));
  return { text, rides, manifest };
}

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
