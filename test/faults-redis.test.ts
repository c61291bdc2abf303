import { keys, parseRideDate } from '@etml/domain';
import { redisUrl, startRedisServer } from '@etml/embedded';
import type { DayManifest } from '@etml/outputs';
import { startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf, tempDir, waitFor } from './helpers.ts';
import { uploadDistinctDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

describe('a Redis restart in the middle of a day', () => {
  test('SIGTERM, then the same redis-server started again on its AOF: no job is lost and the day completes', {
    timeout: 180_000,
  }, async ({ s3 }) => {
    // A redis-server of this test's own, since it is stopped and started again.
    const dir = tempDir('etml-redis-');
    let redis = await startRedisServer({ dir });
    const port = redis.port;
    onTestFinished(() => redis.stop());
    const fake = await startFakeLlm({ latencyMs: 100 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 1_500);
    const env = {
      ...s3Env(s3),
      REDIS_URL: redisUrl(port),
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.url,
      JOB_LOCK_SECONDS: '5',
      LLM_MAX_REQUESTS_PER_MINUTE: '100000',
    };
    const cluster = startService('cluster-worker', env);
    const summarize = startService('summarize-worker', env);
    expect((await runEtml(['enqueue', '--date', date], env)).code).toBe(0);

    await waitFor('summaries under way', 60_000, () => fake.count(200) >= 15);
    await redis.stop();
    const answeredWhileUp = fake.count(200);
    await new Promise(resolve => setTimeout(resolve, 2_000));
    redis = await startRedisServer({ dir, port });
    const restarted = Date.now();

    await waitFor('the manifest', 120_000, () => store.exists(keys.manifest(date)));
    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    console.log(
      `Redis down 2 s after ${answeredWhileUp} summaries; the day completed ${((Date.now() - restarted) / 1000).toFixed(1)} s after the restart`,
    );
    expect(answeredWhileUp).toBeLessThan(manifest.counts.anomalies);
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: manifest.counts.anomalies,
      extractive: 0,
      failed: 0,
    });
    // Both services rode it out: still running, and they said Redis went away.
    expect(cluster.stderr() + summarize.stderr()).toMatch(
      /ECONNREFUSED|Connection is closed|reconnect/i,
    );
    const status = await runEtml(['status', '--date', date], env);
    expect(status.stdout).toContain('load-2025-07-30: completed');
    expect(status.stdout).toMatch(/summaries: \d+ done, 0 failed, 0 pending/);
  });
});
