import { keys, type OutputRecord, parseRideDate } from '@etml/domain';
import { type LlmFault, startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { storeOf } from './helpers.ts';
import { llm, startPipeline, uploadDistinctDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');
const ATTEMPTS = 4;

async function outputRecords(store: ReturnType<typeof storeOf>) {
  const text = (await store.getBytes(keys.output(date, 'rides.jsonl'))).toString();
  return text
    .trimEnd()
    .split('\n')
    .map(line => JSON.parse(line) as OutputRecord);
}

describe('LLM faults', () => {
  test('429 storms, 500s, hung calls, dropped connections, prose and empty answers: retried until every summary arrives', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const cycle: (LlmFault | undefined)[] = [
      'storm',
      'error',
      'hang',
      'reset',
      'malformed',
      'empty',
      undefined,
      undefined,
    ];
    // Faults on the first 160 requests, by turns; then a healthy provider.
    const fake = await startFakeLlm({
      fault: ({ n }) => (n <= 160 ? cycle[n % cycle.length] : undefined),
      hangMs: 5_000,
      stormRetryAfterMs: 200,
    });
    onTestFinished(() => fake.close());
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url, 'gpt-4o-mini', 1_000),
      callTimeoutMs: 1_000,
      retry: { attempts: 8, backoffMs: 20 },
    });
    await uploadDistinctDay(store, date, 3_000);
    const result = await pipeline.runDay(date, 100_000);

    const anomalies = result.counts.anomalies;
    expect(anomalies).toBeGreaterThan(50);
    expect(result.counts.summaries_by_source).toEqual({ llm: anomalies, extractive: 0, failed: 0 });
    const faults = fake.faults();
    for (const kind of ['storm', 'error', 'hang', 'reset', 'malformed', 'empty']) {
      expect(faults[kind], kind).toBeGreaterThan(5);
    }
    // Every ride is a distinct prompt: one good answer each, none asked for twice.
    const answered = fake.requests.filter(r => r.status === 200 && r.fault === undefined);
    expect(answered).toHaveLength(anomalies);
    expect(new Set(answered.map(r => r.user)).size).toBe(anomalies);
    const records = await outputRecords(store);
    expect(records.filter(r => r.anomaly).every(r => r.summary_source === 'llm')).toBe(true);
  });

  test('answers that stay bad: a refusal fails its ride at once, prose fails it after its tries, and the day still loads with the reasons', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    // uploadDistinctDay puts "Ride reference <ride_id>." in each ride's news.
    const refused = /Ride reference \d+3\./;
    const garbled = /Ride reference \d+7\./;
    const fake = await startFakeLlm({
      fault: ({ user }) =>
        refused.test(user) ? 'refusal' : garbled.test(user) ? 'malformed' : undefined,
    });
    onTestFinished(() => fake.close());
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      retry: { attempts: ATTEMPTS, backoffMs: 20 },
    });
    await uploadDistinctDay(store, date, 3_000);
    const result = await pipeline.runDay(date, 100_000);

    const anomalous = (await outputRecords(store)).filter(r => r.anomaly);
    const ending = (digit: string) => anomalous.filter(r => String(r.ride_id).endsWith(digit));
    expect(ending('3').length).toBeGreaterThan(2);
    expect(ending('7').length).toBeGreaterThan(2);
    for (const ride of ending('3')) {
      expect(ride).toMatchObject({ summary: null, summary_source: 'failed', likely_cause: null });
      expect(ride.summary_error).toContain('the model refused to summarize');
      expect(ride.summary_error).toContain(
        `LLM at ${new URL(fake.url).host} refused the request (not retried)`,
      );
    }
    for (const ride of ending('7')) {
      expect(ride.summary_source).toBe('failed');
      expect(ride.summary_error).toContain("the model's answer is not the JSON object asked for");
      expect(ride.summary_error).toContain(`(gave up after ${ATTEMPTS} attempts)`);
    }
    const good = anomalous.filter(r => !/[37]$/.test(String(r.ride_id)));
    expect(good.every(r => r.summary_source === 'llm' && r.summary)).toBe(true);
    expect(result.counts.summaries_by_source).toEqual({
      llm: good.length,
      extractive: 0,
      failed: ending('3').length + ending('7').length,
    });
    // A refusal is asked once; prose is asked ATTEMPTS times.
    const asked = (ride: OutputRecord) =>
      fake.requests.filter(r => r.user.includes(`Ride reference ${ride.ride_id}.`)).length;
    expect(ending('3').map(asked)).toEqual(ending('3').map(() => 1));
    expect(ending('7').map(asked)).toEqual(ending('7').map(() => ATTEMPTS));
    // The manifest carries the failures with their reasons too.
    const manifest = await store.getJson<{ failed_summaries: { reason: string }[] }>(
      keys.manifest(date),
    );
    expect(manifest.failed_summaries).toHaveLength(ending('3').length + ending('7').length);
  });
});
