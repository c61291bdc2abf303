import { addDays, keys, parseRideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf, waitFor } from './helpers.ts';
import { uploadDistinctDay } from './pipeline.ts';

const FIRST = parseRideDate('2025-07-24');
const DAYS = Array.from({ length: 7 }, (_, i) => addDays(FIRST, i));
// The limit, over a window shortened from 60 s so that it binds within a test.
const MAX_REQUESTS = 20;
const WINDOW_SECONDS = 3;

describe('scale-out', () => {
  test('3 summarize-workers and 2 cluster-workers backfill 7 days: each anomaly summarized once, the global rate limit held at the provider', {
    timeout: 240_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    // The fake counts accepted requests over the same sliding window, and limits nothing.
    const fake = await startFakeLlm({ windowMs: WINDOW_SECONDS * 1_000, latencyMs: 50 });
    onTestFinished(() => fake.close());
    for (const date of DAYS) await uploadDistinctDay(store, date, 400);
    const env = {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.url,
      LLM_MAX_REQUESTS_PER_MINUTE: String(MAX_REQUESTS),
      LLM_RATE_WINDOW_SECONDS: String(WINDOW_SECONDS),
    };
    const services = [
      ...Array.from({ length: 2 }, () => startService('cluster-worker', env)),
      ...Array.from({ length: 3 }, () => startService('summarize-worker', env)),
    ];
    const started = Date.now();
    const backfill = await runEtml(
      ['backfill', '--from', DAYS[0] as string, '--to', DAYS[6] as string],
      env,
    );
    expect(backfill.code, backfill.stderr).toBe(0);

    const deadline = Date.now() + 200_000;
    const manifests: DayManifest[] = [];
    for (const date of DAYS) {
      await waitFor(`${date} to complete`, deadline - Date.now(), () =>
        store.exists(keys.manifest(date)),
      );
      manifests.push(await store.getJson<DayManifest>(keys.manifest(date)));
    }
    const seconds = (Date.now() - started) / 1000;

    const anomalies = manifests.reduce((n, m) => n + m.counts.anomalies, 0);
    for (const manifest of manifests) {
      expect(manifest.counts.summaries_by_source).toMatchObject({ failed: 0, extractive: 0 });
    }
    // Every ride's news is its own: one answered request per anomaly, none twice.
    const answered = fake.requests.filter(r => r.status === 200);
    expect(answered).toHaveLength(anomalies);
    expect(new Set(answered.map(r => r.user)).size).toBe(anomalies);
    // At most the limit in any window, as the provider counts; and the limit was what bound.
    expect(fake.peakInWindow()).toBeLessThanOrEqual(MAX_REQUESTS);
    expect(fake.peakInWindow()).toBeGreaterThanOrEqual(MAX_REQUESTS - 2);
    expect(seconds).toBeGreaterThan((anomalies / MAX_REQUESTS) * WINDOW_SECONDS * 0.8);
    console.log(
      `7 days, ${anomalies} anomalies, in ${seconds.toFixed(1)} s; peak ${fake.peakInWindow()} requests per ${WINDOW_SECONDS} s window (limit ${MAX_REQUESTS})`,
    );
    // All five came up against the one Redis.
    for (const service of services) expect(service.stderr()).toContain('ready');
  });
});
