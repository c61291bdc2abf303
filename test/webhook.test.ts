import { keys, parseRideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { jobIds } from '@etml/queues';
import { test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { webhookReceiver as receiver, storeOf } from './helpers.ts';
import { startPipeline, uploadSimulatedDay } from './pipeline.ts';

describe('the completed-day webhook', () => {
  test('posts once per completed day, through two 503s, and not again for a rerun with the same outputs', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const hook = await receiver([503, 503, 200]);
    const pipeline = await startPipeline(redis, store, {
      webhook: { url: hook.url, backoffMs: 20 },
    });
    const date = parseRideDate('2025-07-30');
    await uploadSimulatedDay(store, date, 1_000);
    await pipeline.runDay(date);
    expect(hook.requests.map(r => r.status)).toEqual([503, 503, 200]);
    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    const { counts } = manifest;
    expect(hook.delivered()[0]?.type).toBe('application/json');
    expect(hook.delivered()[0]?.body).toEqual({
      text: expect.stringContaining(
        `Ride anomalies on ${date}: ${counts.anomalies} of ${counts.valid} rides`,
      ),
      date,
      rides: counts.valid,
      rejected: counts.rejected,
      anomalies: counts.anomalies,
      anomalies_by_reason: counts.anomalies_by_reason,
      summaries_by_source: counts.summaries_by_source,
      report: store.uri(keys.output(date, 'report.html')),
      manifest: store.uri(keys.manifest(date)),
      parquet: store.uri(keys.output(date, 'rides.parquet')),
    });

    // Rerun: the same files again, so the channel hears nothing new.
    await pipeline.runDay(date);
    expect(hook.delivered()).toHaveLength(1);
    // A different day is a new completion.
    const next = parseRideDate('2025-07-31');
    await uploadSimulatedDay(store, next, 800);
    await pipeline.runDay(next);
    expect(hook.delivered().map(r => (r.body as { date: string }).date)).toEqual([date, next]);
  });

  test('a receiver that keeps failing is given up on after 4 tries, and the day completes', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const hook = await receiver([500]);
    const pipeline = await startPipeline(redis, store, {
      webhook: { url: hook.url, backoffMs: 20 },
    });
    const date = parseRideDate('2025-07-30');
    await uploadSimulatedDay(store, date, 500);
    const result = await pipeline.runDay(date);
    expect(result.counts.valid).toBe(500);
    expect(hook.requests).toHaveLength(4);
    expect(await store.exists(keys.manifest(date))).toBe(true);
    const { logs } = await pipeline.loadQueue.getJobLogs(jobIds.loadDay(date));
    expect(logs.join('\n')).toContain(
      'webhook: gave up posting to 127.0.0.1', // the host only: webhook URLs carry secrets
    );
    expect(logs.join('\n')).not.toContain('secret');
  });
});
