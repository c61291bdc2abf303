import { addDays, keys, type RideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { QUEUES, queueOptions, workerConnection } from '@etml/queues';
import { lastDueRideDate } from '@etml/scheduler';
import type { ObjectStore } from '@etml/storage';
import { startFakeLlm, test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import {
  llmServicesEnv,
  ownRedisServer,
  runEtml,
  startService,
  storeOf,
  waitFor,
} from './helpers.ts';
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
    const redis = await ownRedisServer();
    const fake = await startFakeLlm({ latencyMs: 200 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    // Dates the scheduler's catch-up covers: the last one due, and the day before it.
    const day = lastDueRideDate('0 6 * * *', 'UTC', new Date());
    const before = addDays(day, -1);
    await uploadDistinctDay(store, before, 400);
    const env = {
      ...llmServicesEnv(s3, redis.url, fake.url),
      JOB_LOCK_SECONDS: '5',
      CATCHUP_DAYS: '2',
      SCHEDULE_HEAL_SECONDS: String(HEAL_SECONDS),
    };
    const services = [startService('cluster-worker', env), startService('summarize-worker', env)];
    const run = await runEtml(['run', '--date', before], env);
    expect(run.code, run.stderr).toBe(0);
    const beforeBytes = await dayBytes(store, before);
    const paidBefore = fake.count(200);

    await uploadDistinctDay(store, day, 3_000);
    const scheduler = startService('scheduler', env);
    services.push(scheduler);
    await waitFor(
      'summaries of the day under way',
      60_000,
      () => fake.count(200) >= paidBefore + 40,
    );
    const inFlight = fake.pending();
    const lostAt = Date.now();
    await redis.kill();
    const paidWhileUp = fake.count(200) - paidBefore;
    // The same port, a new empty folder: no AOF, no RDB.
    await redis.start({ empty: true });

    // Back without restarting anything: on the reconnection (ioredis retries within 5 s), or at
    // the latest on the scheduler's next periodic check.
    const connection = workerConnection(redis.url);
    const schedulerQueue = new Queue(QUEUES.scheduler, queueOptions(connection));
    onTestFinished(async () => {
      await schedulerQueue.close();
      connection.disconnect();
    });
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
    // The summaries made before the loss came from the S3 cache: not one asked for again. A
    // summary is in the cache a few milliseconds after its answer (once its LLM slot is given
    // back): those answered in the last second before the loss, or in flight then, may be asked
    // again, since the day's new run can beat their worker's reconnection.
    const asked = new Map<string, number>();
    for (const request of fake.requests)
      asked.set(request.user, (asked.get(request.user) ?? 0) + 1);
    const settled = fake.requests.filter(r => r.status === 200 && r.at < lostAt - 1_000);
    // The day before's, and some of this day's.
    expect(settled.length).toBeGreaterThan(paidBefore);
    expect(settled.filter(r => asked.get(r.user) !== 1).map(r => r.user)).toEqual([]);
    const lastSecond = fake.requests.filter(r => r.at >= lostAt - 1_000 && r.at <= lostAt).length;
    const twice = [...asked.values()].filter(n => n > 1);
    expect(twice.every(n => n === 2)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(inFlight + lastSecond);
    console.log(
      `${inFlight} LLM calls in flight at the loss, ${lastSecond} answered in the second before; ${twice.length} made again`,
    );
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
