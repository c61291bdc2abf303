import { DEFAULT_REDIS_PREFIX, keys, parseRideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { jobIds, QUEUES } from '@etml/queues';
import { codeVersion } from '@etml/runtime';
import { simulateRides } from '@etml/simulate';
import type { ObjectStore } from '@etml/storage';
import { type FakeLlm, type RedisTarget, type S3Target, startFakeLlm, test } from '@etml/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf, waitFor } from './helpers.ts';
import { extractiveSummarizer, llm, startPipeline } from './pipeline.ts';

const date = parseRideDate('2025-07-30');
const LOCK_SECONDS = 3;

/**
 * The same day twice, in two prefixes of one bucket: undisturbed, in this process, for the
 * reference bytes; then through service processes that the test kills.
 */
async function twoRuns(
  redis: RedisTarget,
  s3: S3Target,
  rides: unknown[],
  fake: FakeLlm | undefined,
) {
  const clean = storeOf(s3, { prefix: 'clean/' });
  const killed = storeOf(s3, { prefix: 'killed/' });
  for (const store of [clean, killed]) await store.writeNdjson(keys.raw(date, 'jsonl'), rides);
  const pipeline = await startPipeline(redis, clean, {
    summarizer: fake ? llm(fake.url) : extractiveSummarizer,
    // As the services report it: the Parquet footer names the writing code's version.
    codeVersion: codeVersion(),
  });
  await pipeline.runDay(date, 120_000);
  await pipeline.close();
  const connection = new Redis(redis.url);
  await connection.flushall();
  connection.disconnect();

  const env = {
    ...s3Env(s3),
    REDIS_URL: redis.url,
    S3_PREFIX: 'killed/',
    JOB_LOCK_SECONDS: String(LOCK_SECONDS),
    LLM_MAX_REQUESTS_PER_MINUTE: '100000',
    ...(fake ? { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url } : {}),
  };
  const queue = (name: string) => {
    const q = new Queue(name, { connection: { url: redis.url }, prefix: DEFAULT_REDIS_PREFIX });
    onTestFinished(() => q.close());
    return q;
  };
  return {
    env,
    killed,
    cluster: queue(QUEUES.cluster),
    load: queue(QUEUES.load),
    async enqueue() {
      const result = await runEtml(['enqueue', '--date', date], env);
      expect(result.code, result.stderr).toBe(0);
    },
    /** The killed run finished: its files are the undisturbed run's, byte for byte. */
    async expectSameOutputs(timeoutMs = 90_000) {
      await waitFor('the manifest', timeoutMs, () => killed.exists(keys.manifest(date)));
      const files = async (store: ObjectStore) => {
        const manifest = await store.getJson<DayManifest>(keys.manifest(date));
        return Object.fromEntries(Object.entries(manifest.files).map(([f, e]) => [f, e.sha256]));
      };
      expect(await files(killed)).toEqual(await files(clean));
      return killed.getJson<DayManifest>(keys.manifest(date));
    },
  };
}

const progressOf = async (queue: Queue, id: string) => {
  const job = await queue.getJob(id);
  return job && (await job.getState()) === 'active'
    ? (job.progress as { phase?: string; rows?: number })
    : undefined;
};

describe('kill -9', () => {
  test('of the cluster-worker mid-job: another one finishes the day, byte-identical', {
    timeout: 180_000,
  }, async ({ redis, s3 }) => {
    const rides = [...simulateRides({ date, rides: 150_000, seed: 12 })];
    const run = await twoRuns(redis, s3, rides, undefined);
    startService('summarize-worker', run.env);
    const first = startService('cluster-worker', run.env);
    await run.enqueue();
    const caught = await waitFor('cluster-D to be working', 60_000, async () => {
      const progress = await progressOf(run.cluster, jobIds.clusterDay(date));
      return progress?.phase && progress.phase !== 'done' ? progress : undefined;
    });
    await first.kill();
    expect(await run.killed.exists(keys.clustering(date))).toBe(false);
    startService('cluster-worker', run.env);
    const manifest = await run.expectSameOutputs();
    expect(manifest.counts.valid).toBe(150_000);
    console.log(`cluster-worker killed in phase ${caught.phase}`);
  });

  test('of a summarize-worker mid-LLM call: another one finishes, no summary lost or doubled, no call repeated but those in flight', {
    timeout: 180_000,
  }, async ({ redis, s3 }) => {
    const fake = await startFakeLlm();
    onTestFinished(() => fake.close());
    const rides = [...simulateRides({ date, rides: 1_500, seed: 13 })].map(ride => ({
      ...ride,
      news: `${ride.news} Ride reference ${ride.ride_id}.`,
    }));
    const run = await twoRuns(redis, s3, rides, fake);
    const answered = () => fake.requests.filter(r => r.status === 200).length;
    const distinct = answered();
    expect(distinct).toBeGreaterThan(50);

    fake.configure({ latencyMs: 1_500 });
    startService('cluster-worker', run.env);
    const first = startService('summarize-worker', run.env);
    await run.enqueue();
    await waitFor('LLM calls in flight', 60_000, async () => fake.pending() >= 3);
    await new Promise(resolve => setTimeout(resolve, 200));
    const inFlight = fake.pending();
    await first.kill();
    fake.configure({});
    const second = startService('summarize-worker', run.env);
    const manifest = await run.expectSameOutputs();
    expect(second.stderr()).toContain('ready');

    const calls = answered() - distinct;
    console.log(
      `summarize-worker killed with ${inFlight} calls in flight: ${calls} calls for ${distinct} prompts`,
    );
    expect(calls).toBeGreaterThanOrEqual(distinct);
    expect(calls).toBeLessThanOrEqual(distinct + inFlight);
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: manifest.counts.anomalies,
      extractive: 0,
      failed: 0,
    });
  });

  test('of the process running load-D mid-write: another one writes the day again, byte-identical', {
    timeout: 180_000,
  }, async ({ redis, s3 }) => {
    const rides = [...simulateRides({ date, rides: 200_000, seed: 14 })];
    const run = await twoRuns(redis, s3, rides, undefined);
    startService('cluster-worker', run.env);
    const first = startService('summarize-worker', run.env);
    await run.enqueue();
    const caught = await waitFor('load-D to be writing', 90_000, async () => {
      const progress = await progressOf(run.load, jobIds.loadDay(date));
      return progress?.phase === 'writing' || progress?.phase === 'parquet and report'
        ? progress
        : undefined;
    });
    await first.kill();
    expect(await run.killed.exists(keys.manifest(date))).toBe(false);
    startService('summarize-worker', run.env);
    await run.expectSameOutputs();
    console.log(`load-D killed while ${caught.phase}`);
  });
});
