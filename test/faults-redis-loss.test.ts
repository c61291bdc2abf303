import { addDays, keys, type RideDate } from '@etml/domain';
import { redisUrl, startRedisServer } from '@etml/embedded';
import type { DayManifest } from '@etml/outputs';
import { QUEUES } from '@etml/queues';
import { lastDueRideDate } from '@etml/scheduler';
import type { ObjectStore } from '@etml/storage';
import { startFakeLlm, test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf, tempDir, waitFor } from './helpers.ts';
import { uploadDistinctDay } from './pipeline.ts';

/** Every object a complete day wrote, byte for byte: its outputs and its manifest. */
async function dayBytes(store: ObjectStore, day: RideDate): Promise<Record<string, Buffer>> {
  const bytes: Record<string, Buffer> = {};
  const files = ['rides.jsonl', 'rides.parquet', 'report.html'] as const;
  for (const key of [keys.manifest(day), ...files.map(file => keys.output(day, file))]) {
    bytes[key] = await store.getBytes(key);
  }
  return bytes;
}

describe('Redis lost its data', () => {
  test('kill -9, then started again empty mid-day: the schedule comes back by itself, the day completes from S3, no summary is paid twice, the day before is untouched', {
    timeout: 240_000,
  }, async ({ s3 }) => {
    const HEAL_SECONDS = 5;
    let redis = await startRedisServer({ dir: tempDir('etml-redis-') });
    const port = redis.port;
    onTestFinished(() => redis.stop());
    const fake = await startFakeLlm({ latencyMs: 200 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    // Dates the scheduler's catch-up covers: the last one due, and the day before it.
    const day = lastDueRideDate('0 6 * * *', 'UTC', new Date());
    const before = addDays(day, -1);
    await uploadDistinctDay(store, before, 400);
    const env = {
      ...s3Env(s3),
      REDIS_URL: redisUrl(port),
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.url,
      JOB_LOCK_SECONDS: '5',
      LLM_MAX_REQUESTS_PER_MINUTE: '100000',
      CATCHUP_DAYS: '2',
      SCHEDULE_HEAL_SECONDS: String(HEAL_SECONDS),
    };
    const services = [startService('cluster-worker', env), startService('summarize-worker', env)];
    const run = await runEtml(['run', '--date', before], env);
    expect(run.code, run.stderr).toBe(0);
    const beforeBytes = await dayBytes(store, before);
    const paidBefore = fake.count(200);

    await uploadDistinctDay(store, day, 1_500);
    const scheduler = startService('scheduler', env);
    services.push(scheduler);
    await waitFor(
      'summaries of the day under way',
      60_000,
      () => fake.count(200) >= paidBefore + 15,
    );
    process.kill(redis.pid, 'SIGKILL');
    await waitFor('redis-server gone', 10_000, () => {
      try {
        process.kill(redis.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const paidWhileUp = fake.count(200) - paidBefore;
    const answeredBeforeTheLoss = new Set(
      fake.requests.filter(r => r.status === 200).map(r => r.user),
    );
    const inFlight = fake.pending();
    // The same port, a new empty folder: no AOF, no RDB.
    redis = await startRedisServer({ dir: tempDir('etml-redis-'), port });

    // Back without restarting anything: on the reconnection (ioredis retries within 5 s), or at
    // the latest on the scheduler's next periodic check.
    const schedulerQueue = new Queue(QUEUES.scheduler, { connection: { url: redisUrl(port) } });
    onTestFinished(() => schedulerQueue.close());
    await waitFor('the schedule back', (HEAL_SECONDS + 10) * 1_000, () =>
      schedulerQueue.getJobScheduler('daily-rides'),
    );
    await waitFor('the manifest', 180_000, () => store.exists(keys.manifest(day)));
    const manifest = await store.getJson<DayManifest>(keys.manifest(day));
    console.log(
      `Redis killed after ${paidWhileUp} of ${manifest.counts.anomalies} summaries and restarted empty; the day completed`,
    );
    expect(paidWhileUp).toBeLessThan(manifest.counts.anomalies);
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: manifest.counts.anomalies,
      extractive: 0,
      failed: 0,
    });
    // The summaries made before the loss came from the S3 cache: not one asked for again. Only
    // a call in flight as Redis died may be made twice (its answer is cached once its worker
    // is back, which the day's new run may beat).
    const asked = new Map<string, number>();
    for (const request of fake.requests)
      asked.set(request.user, (asked.get(request.user) ?? 0) + 1);
    expect([...answeredBeforeTheLoss].filter(user => asked.get(user) !== 1)).toEqual([]);
    const twice = [...asked.values()].filter(n => n > 1);
    expect(twice.every(n => n === 2)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(inFlight);
    console.log(`${inFlight} LLM calls in flight at the loss; ${twice.length} made again`);
    // The day before, done before the loss, was not touched.
    expect(await dayBytes(store, before)).toEqual(beforeBytes);

    const logs = services.map(service => service.stderr()).join('');
    expect(scheduler.stderr()).toContain('the schedule was missing from Redis; set it again');
    expect(logs).not.toMatch(/ ERROR .*Missing (key|lock) for job/);
    // Nothing restarted: one ready line each, and each stops cleanly.
    for (const service of services) {
      expect(service.stderr().match(/ INFO \S+ ready /g)).toHaveLength(1);
      expect(await service.stop()).toBe(0);
    }
  });
});
