import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterProcessor, createClusterWorker } from '@etml/cluster-worker';
import { DEFAULT_REDIS_PREFIX, keys, parseRideDate } from '@etml/domain';
import { packt } from '@etml/fixtures';
import {
  type ClusterDayResult,
  enqueueClusterDay,
  JOBS,
  producerConnection,
  QUEUES,
  queueOptions,
} from '@etml/queues';
import { createLogger } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { type RedisTarget, test } from '@etml/testing';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { ROOT, runEtml, s3Env, storeOf, tempDir } from './helpers.ts';

const date = parseRideDate('2023-05-24');
const quiet = createLogger('cluster-worker', () => {});

async function pipeline(redis: RedisTarget, store: ObjectStore, rawWaitMs = 60_000) {
  const connection = await producerConnection(redis.url);
  const queue = new Queue(QUEUES.cluster, queueOptions(connection));
  const events = new QueueEvents(QUEUES.cluster, {
    connection: { url: redis.url },
    prefix: DEFAULT_REDIS_PREFIX,
  });
  await events.waitUntilReady();
  const worker = createClusterWorker({
    redisUrl: redis.url,
    store,
    cluster: {},
    rawWaitMs,
    log: quiet,
  });
  onTestFinished(async () => {
    await worker.close();
    await events.close();
    await queue.close();
    connection.disconnect();
  });
  return { queue, events, worker };
}

async function finished(
  job: Job,
  events: QueueEvents,
  timeoutMs = 60_000,
): Promise<ClusterDayResult> {
  return (await job.waitUntilFinished(events, timeoutMs)) as ClusterDayResult;
}

describe('./bin/etml cluster-worker', () => {
  test('runs as a service: takes a job, and exits cleanly on SIGTERM', async ({ redis, s3 }) => {
    const store = storeOf(s3);
    await store.putBytes(keys.raw(date, 'csv'), readFileSync(packt.ridesCh01Csv), 'text/csv');
    const child = spawn(join(ROOT, 'bin', 'etml'), ['cluster-worker'], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_FORMAT: 'pretty',
        ...s3Env(s3),
        REDIS_URL: redis.url,
        DBSCAN_EPS: '0.3',
        DBSCAN_MIN_SAMPLES: '10',
        ANOMALY_MAX_SHARE: '0.01',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', chunk => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>(resolve => child.on('exit', resolve));
    const connection = await producerConnection(redis.url);
    const queue = new Queue(QUEUES.cluster, queueOptions(connection));
    const events = new QueueEvents(QUEUES.cluster, {
      connection: { url: redis.url },
      prefix: DEFAULT_REDIS_PREFIX,
    });
    try {
      await events.waitUntilReady();
      const { jobId } = await enqueueClusterDay(queue, date);
      const result = await finished((await queue.getJob(jobId)) as Job, events);
      expect(result).toMatchObject({
        valid: 400,
        noise: 21,
        params: { eps: 0.3, minSamples: 10, source: 'explicit', maxShare: 0.01 },
      });
      // 1 % of 400 rides: the cap kept 4 of the day's anomalies and says how many it turned back.
      expect(result.anomalies).toBe(4);
      expect(result.params.capped).toBeGreaterThan(0);
      const clustered = (await store.getBytes(keys.clustered(date))).toString('utf8');
      const rides = clustered
        .trim()
        .split('\n')
        .map(line => JSON.parse(line) as { anomaly: boolean; anomaly_score: number });
      const kept = rides.filter(r => r.anomaly).map(r => r.anomaly_score);
      const strongestLeft = Math.max(...rides.filter(r => !r.anomaly).map(r => r.anomaly_score));
      expect(kept).toHaveLength(4);
      expect(Math.min(...kept)).toBeGreaterThanOrEqual(strongestLeft);
      expect(rides.filter(r => r.anomaly_score >= 1).length).toBe(4 + (result.params.capped ?? 0));
      expect(stderr).toContain('INFO cluster-worker ready');
      expect(stderr).toContain('anomalyMaxShare=0.01');
      expect(stderr).toContain('dbscan="eps=0.3 min_samples=10"');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('SIGTERM: closing');
    } finally {
      child.kill('SIGKILL');
      await events.close();
      await queue.close();
      connection.disconnect();
    }
  });

  test.for(['0', '1.5', 'a lot'])(
    'refuses ANOMALY_MAX_SHARE=%s at start, naming it',
    async value => {
      const result = await runEtml(['cluster-worker'], {
        ANOMALY_MAX_SHARE: value,
        REDIS_URL: 'redis://127.0.0.1:9',
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `ANOMALY_MAX_SHARE must be a number > 0 and ≤ 1, got "${value}"`,
      );
    },
  );

  test('refuses a bad DBSCAN_EPS at start, naming it', async () => {
    const result = await runEtml(['cluster-worker'], {
      DBSCAN_EPS: '-1',
      REDIS_URL: 'redis://127.0.0.1:9',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DBSCAN_EPS must be a number > 0, got "-1"');
  });
});

describe('cluster-worker', () => {
  test('clusters raw/date=D into clustered/ and rejected/, with the same bytes as etml cluster', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const raw = packt.rides20230524Json;
    const bytes = readFileSync(raw, 'utf8');
    // Two bad rows appended to the seed's 400.
    const withBad = `${bytes.trimEnd().slice(0, -1)},{"ride_id":"x1","ride_dist":-2,"ride_time":0.1},{"ride_id":"x2","ride_time":0.3}]`;
    await store.putBytes(keys.raw(date, 'json'), withBad, 'application/json');
    const { queue, events } = await pipeline(redis, store);

    const first = await enqueueClusterDay(queue, date);
    expect(first).toMatchObject({ jobId: 'cluster-2023-05-24', added: true });
    expect(await enqueueClusterDay(queue, date)).toMatchObject({
      jobId: 'cluster-2023-05-24',
      added: false,
    });
    const job = (await queue.getJob(first.jobId)) as Job;
    const result = await finished(job, events);

    expect(result).toMatchObject({ date: '2023-05-24', rows: 402, valid: 400, rejected: 2 });
    expect(result.params.source).toBe('default');
    const clustered = (await store.getBytes(keys.clustered(date))).toString('utf8');
    const rejected = (await store.getBytes(keys.rejected(date)))
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map(l => JSON.parse(l));
    expect(rejected.map(r => [r.row, r.reasons[0]])).toEqual([
      [401, 'ride_dist must be a finite number ≥ 0 (km), got -2'],
      [402, 'ride_dist is missing'],
    ]);

    // The local command on the same bytes writes the very same output.
    const dir = tempDir();
    const local = join(dir, 'raw.json');
    const out = join(dir, 'out.jsonl');
    await import('node:fs').then(fs => fs.writeFileSync(local, withBad));
    expect((await runEtml(['cluster', '--input', local, '--output', out])).code).toBe(0);
    expect(clustered).toBe(readFileSync(out, 'utf8'));

    const fresh = (await queue.getJob(first.jobId)) as Job;
    expect(fresh.progress).toEqual({ phase: 'done', rows: 402 });
    const { logs } = await queue.getJobLogs(first.jobId);
    expect(logs.join('\n')).toContain('clustered 400 rides (2 rejected)');
  });

  test('fails the attempt, to retry, when the raw object changes between the two passes', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const csv = readFileSync(packt.ridesCh01Csv, 'utf8');
    await store.putBytes(keys.raw(date, 'csv'), csv, 'text/csv');
    // Someone re-uploads the day right after the first pass opened it.
    const racing = Object.create(store) as ObjectStore;
    let opens = 0;
    racing.openRead = async (key, options) => {
      const handle = await store.openRead(key, options);
      if (++opens === 1)
        await store.putBytes(
          keys.raw(date, 'csv'),
          csv.replace('1.5836530329300458', '1.6'),
          'text/csv',
        );
      return handle;
    };
    const connection = await producerConnection(redis.url);
    onTestFinished(async () => {
      await queue.close();
      connection.disconnect();
    });
    const queue = new Queue(QUEUES.cluster, queueOptions(connection));
    const { jobId } = await enqueueClusterDay(queue, date);
    const job = (await queue.getJob(jobId)) as Job;
    const process = clusterProcessor({
      store: racing,
      cluster: {},
      rawWaitMs: 0,
      log: quiet,
      handOff: async () => ({ jobId: 'load-test' }),
    });
    await expect(process(job)).rejects.toThrow('changed while it was being clustered');
    expect(await store.exists(keys.clustered(date))).toBe(false);
  });

  test('waits for late raw data, then clusters it when it arrives', async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const { queue, events } = await pipeline(redis, store, 20_000);
    const { jobId } = await enqueueClusterDay(queue, date);
    const job = (await queue.getJob(jobId)) as Job;
    // Seen missing once, the job is put back as delayed; it has used no attempt.
    await expect.poll(async () => job.getState(), { timeout: 10_000 }).toBe('delayed');
    const { logs } = await queue.getJobLogs(jobId);
    expect(logs[0]).toContain('no raw input yet');
    await store.putBytes(keys.raw(date, 'csv'), readFileSync(packt.ridesCh01Csv), 'text/csv');
    await (await queue.getJob(jobId))?.promote();
    const result = await finished(job, events);
    expect(result.valid).toBe(400);
    expect((await queue.getJob(jobId))?.attemptsMade).toBe(1);
  });

  test('checks again within the window by itself, then gives up naming what it looked for', async ({
    redis,
    s3,
  }) => {
    const { queue, events } = await pipeline(redis, storeOf(s3), 2_000);
    const { jobId } = await enqueueClusterDay(queue, date);
    const started = Date.now();
    await expect(finished((await queue.getJob(jobId)) as Job, events)).rejects.toThrow(
      'no raw input for 2023-05-24',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    const { logs } = await queue.getJobLogs(jobId);
    expect(logs.filter(l => l.includes('no raw input yet'))).toHaveLength(1);
    expect((await queue.getJob(jobId))?.attemptsMade).toBe(1);
  });

  test('fails with a clear reason when the raw data never comes', async ({ redis, s3 }) => {
    const { queue, events } = await pipeline(redis, storeOf(s3), 0);
    const { jobId } = await enqueueClusterDay(queue, date);
    const job = (await queue.getJob(jobId)) as Job;
    await expect(finished(job, events)).rejects.toThrow(
      `no raw input for 2023-05-24 after waiting 0 min: nothing at s3://${s3.bucket}/raw/date=2023-05-24/rides.{json,jsonl,csv}`,
    );
    // Unrecoverable: no retries were spent on it.
    expect((await queue.getJob(jobId))?.attemptsMade).toBe(1);
  });

  test('fails at once, naming the file, when no row is valid', async ({ redis, s3 }) => {
    const store = storeOf(s3);
    await store.putBytes(
      keys.raw(date, 'jsonl'),
      '{"ride_id":1}\n{"ride_id":2,"ride_dist":-1,"ride_time":1}\n',
      'application/x-ndjson',
    );
    const { queue, events } = await pipeline(redis, store);
    const { jobId } = await enqueueClusterDay(queue, date);
    await expect(finished((await queue.getJob(jobId)) as Job, events)).rejects.toThrow(
      `s3://${s3.bucket}/raw/date=2023-05-24/rides.jsonl has no valid rows (2 rows, all rejected; row 1: ride_dist is missing; ride_time is missing)`,
    );
    const failed = await queue.getJob(jobId);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.opts.attempts).toBe(JOBS.clusterDay.options.attempts);
  });
});
