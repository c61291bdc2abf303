import { createHash } from 'node:crypto';
import { createClusterWorker } from '@etml/cluster-worker';
import { type ClusteringRecord, keys, type RideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import {
  enqueueClusterDay,
  enqueueLoadDay,
  jobIds,
  type LoadDayResult,
  producerConnection,
  QUEUES,
  queueOptions,
} from '@etml/queues';
import { createLogger } from '@etml/runtime';
import { simulateRides } from '@etml/simulate';
import type { ObjectStore } from '@etml/storage';
import {
  extractiveSummarizer,
  llmSummarizer,
  OpenAISummarizer,
  type Summarizer,
} from '@etml/summarization';
import { createSummarizeWorker, type SummarizeWorkerOptions } from '@etml/summarize-worker';
import { type FakeLlmOptions, type RedisTarget, type S3Target, startFakeLlm } from '@etml/testing';
import { Queue } from 'bullmq';
import { expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf, waitFor } from './helpers.ts';

export const quiet = createLogger('test', () => {});

/** A simulated day, uploaded as raw/date=D/rides.jsonl. */
export async function uploadSimulatedDay(
  store: ObjectStore,
  date: RideDate,
  rides: number,
  seed = 7,
): Promise<void> {
  await store.writeNdjson(keys.raw(date, 'jsonl'), simulateRides({ date, rides, seed }));
}

/**
 * A simulated day whose first `count` injected anomalies carry `news` instead of their own: markup
 * from the data, for the pages that must show it as text.
 */
export async function uploadDayWithNews(
  store: ObjectStore,
  date: RideDate,
  options: { rides: number; seed: number; news: string; count: number },
): Promise<void> {
  let injected = 0;
  await store.writeNdjson(
    keys.raw(date, 'jsonl'),
    (function* () {
      for (const ride of simulateRides({ date, rides: options.rides, seed: options.seed })) {
        if (typeof ride.injected_anomaly !== 'string' || injected >= options.count) yield ride;
        else {
          injected += 1;
          yield { ...ride, news: options.news };
        }
      }
    })(),
  );
}

/** A simulated day where every ride's news is its own, so every anomaly is a distinct prompt. */
export async function uploadDistinctDay(store: ObjectStore, date: RideDate, rides: number) {
  await store.writeNdjson(
    keys.raw(date, 'jsonl'),
    (function* () {
      for (const ride of simulateRides({ date, rides, seed: 11 })) {
        yield { ...ride, news: `${ride.news} Ride reference ${ride.ride_id}.` };
      }
    })(),
  );
}

/**
 * A clustered day written as the cluster step writes one (clustered/date=D/rides.jsonl and its
 * _clustering.json), for tests that choose each ride's verdict, anomaly_score included.
 */
export async function uploadClusteredDay(
  store: ObjectStore,
  date: RideDate,
  rides: readonly (Record<string, unknown> & { anomaly: boolean })[],
): Promise<void> {
  const text = rides.map(ride => `${JSON.stringify(ride)}\n`).join('');
  await store.putBytes(keys.clustered(date), text, 'application/x-ndjson');
  const anomalies = rides.filter(r => r.anomaly).length;
  const record: ClusteringRecord = {
    input: store.uri(keys.raw(date, 'jsonl')),
    rows: rides.length,
    valid: rides.length,
    rejected: 0,
    clusters: 1,
    noise: anomalies,
    anomalies,
    params: { eps: 0.3, minSamples: 10, source: 'explicit' },
    clustered: {
      bytes: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
    },
  };
  await store.putJson(keys.clustering(date), record);
  await store.putBytes(keys.rejected(date), '', 'application/x-ndjson');
}

/** A line of output/date=D/rides.jsonl, as the tests read it. */
export interface OutputRide {
  ride_id: string;
  anomaly: boolean;
  anomaly_reasons: string[];
  anomaly_score: number;
  summary: string | null;
  summary_source: string | null;
  likely_cause: string | null;
  summary_error: string | null;
}

/** A loaded day: rides.jsonl's text and rides, and the manifest. */
export async function readOutputDay(store: ObjectStore, date: RideDate) {
  const text = (await store.getBytes(keys.output(date, 'rides.jsonl'))).toString('utf8');
  const rides = text
    .trim()
    .split('\n')
    .map(line => JSON.parse(line) as OutputRide);
  const manifest = await store.getJson<DayManifest>(keys.manifest(date));
  return { text, rides, manifest };
}

export function llm(url: string, model = 'gpt-4o-mini', timeoutMs?: number): Summarizer {
  return llmSummarizer(new OpenAISummarizer({ apiKey: 'sk-test', baseURL: url, model, timeoutMs }));
}

export { extractiveSummarizer };

/**
 * A fake provider that always fails for the first ride it is asked about, found by the
 * "Ride reference" uploadDistinctDay puts in each ride's news (in every day that has that ride).
 */
export async function startFakeLlmFailingOneRide(options: FakeLlmOptions = {}) {
  let victim: string | undefined;
  const fake = await startFakeLlm({
    ...options,
    alwaysFail: user => {
      victim ??= /Ride reference (\S+)\./.exec(user)?.[1];
      return user.includes(`Ride reference ${victim}.`);
    },
  });
  onTestFinished(() => fake.close());
  return { fake, victim: () => victim };
}

/**
 * The whole pipeline in this process, through real queues: a cluster-worker and a
 * summarize-worker (unless `summarizeWorkers: 0`, for tests that start their own processes).
 * `alert` goes to both; `rawWaitMs` (0 unless set) is how long cluster-D waits for raw input.
 */
export async function startPipeline(
  redis: RedisTarget,
  store: ObjectStore,
  options: Partial<Omit<SummarizeWorkerOptions, 'redisUrl' | 'store' | 'log'>> & {
    summarizeWorkers?: number;
    rawWaitMs?: number;
  } = {},
) {
  const connection = await producerConnection(redis.url);
  const clusterQueue = new Queue(QUEUES.cluster, queueOptions(connection));
  const loadQueue = new Queue(QUEUES.load, queueOptions(connection));
  const summarizeQueue = new Queue(QUEUES.summarize, queueOptions(connection));
  const cluster = createClusterWorker({
    redisUrl: redis.url,
    store,
    cluster: {},
    rawWaitMs: options.rawWaitMs ?? 0,
    alert: options.alert?.webhook,
    log: quiet,
  });
  const summarizers = Array.from({ length: options.summarizeWorkers ?? 1 }, () =>
    createSummarizeWorker({
      redisUrl: redis.url,
      store,
      summarizer: options.summarizer ?? extractiveSummarizer,
      maxRequestsPerMinute: options.maxRequestsPerMinute ?? 600,
      llmConcurrency: options.llmConcurrency ?? 4,
      codeVersion: { version: 'test', commit: null },
      log: quiet,
      ...options,
    }),
  );
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await Promise.all([cluster.close(), ...summarizers.map(s => s.close())]);
      await Promise.all([clusterQueue.close(), loadQueue.close(), summarizeQueue.close()]);
      connection.disconnect();
    })();
    return closed;
  };
  onTestFinished(close);

  /** Waits for a job to finish, by polling: it may not exist yet when this starts. */
  async function finished<T>(queue: Queue, jobId: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      // Read again: the job may have completed between the fetch and getState, its copy still
      // without a return value.
      if (state === 'completed') return (await queue.getJob(jobId))?.returnvalue as T;
      if (state === 'failed') throw new Error(`${jobId} failed: ${job?.failedReason}`);
      if (Date.now() > deadline) throw new Error(`${jobId} still ${state} after ${timeoutMs} ms`);
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }

  return {
    clusterQueue,
    loadQueue,
    summarizeQueue,
    /** Stops the workers and queues (also done when the test ends). */
    close,
    /** Enqueues cluster-D (again, when it ran before) and waits for load-D. */
    async runDay(date: RideDate, timeoutMs = 60_000): Promise<LoadDayResult> {
      const { jobId } = await enqueueClusterDay(clusterQueue, date);
      const job = await clusterQueue.getJob(jobId);
      const state = await job?.getState();
      if (state === 'completed' || state === 'failed') await job?.retry(state);
      await finished(clusterQueue, jobId, timeoutMs);
      return finished<LoadDayResult>(loadQueue, jobIds.loadDay(date), timeoutMs);
    },
    /** Enqueues load-D (again, when it ran before) for a day already clustered, and waits. */
    async loadDay(date: RideDate, timeoutMs = 60_000): Promise<LoadDayResult> {
      const { jobId } = await enqueueLoadDay(loadQueue, date);
      return finished<LoadDayResult>(loadQueue, jobId, timeoutMs);
    },
  };
}

/**
 * The pipeline on an LLM endpoint that drops every connection (unreachable) until `up()`:
 * summaries get 2 quick tries, and a day's refresh waits 0.5 s after the last late summary.
 */
export async function startPipelineWithLlmDown(redis: RedisTarget, store: ObjectStore) {
  const fake = await startFakeLlm({ fault: () => 'reset' });
  onTestFinished(() => fake.close());
  const pipeline = await startPipeline(redis, store, {
    summarizer: llm(fake.url),
    retry: { attempts: 2, backoffMs: 20 },
    refreshDelayMs: 500,
  });
  return { fake, pipeline, host: new URL(fake.url).host, up: () => fake.configure({}) };
}

/** How many times load-D has run its fan-in: each run logs one "loaded …" line. */
export async function fanIns(loadQueue: Queue, date: RideDate): Promise<number> {
  const { logs } = await loadQueue.getJobLogs(jobIds.loadDay(date));
  return logs.filter(line => line.startsWith('loaded ')).length;
}

/** The loaded day once load-D is complete and its manifest counts `failed` failed summaries. */
export function loadedWithFailed(
  store: ObjectStore,
  loadQueue: Queue,
  date: RideDate,
  failed: number,
) {
  return waitFor(`a manifest of ${date} with ${failed} failed summaries`, 60_000, async () => {
    if ((await loadQueue.getJobState(jobIds.loadDay(date))) !== 'completed') return undefined;
    const day = await readOutputDay(store, date).catch(() => undefined);
    return day?.manifest.counts.summaries_by_source.failed === failed ? day : undefined;
  });
}

/**
 * A day of distinct prompts run by a cluster-worker and a summarize-worker started as processes
 * on `redisEnv` (REDIS_URL, REDIS_SENTINELS… or REDIS_CLUSTER_NODES) with a fake LLM, enqueued
 * with `etml enqueue`: for tests that break or reshape Redis under a day in progress.
 */
export async function startServicesDay(
  s3: S3Target,
  redisEnv: Record<string, string>,
  date: RideDate,
) {
  const fake = await startFakeLlm({ latencyMs: 100 });
  onTestFinished(() => fake.close());
  const store = storeOf(s3);
  await uploadDistinctDay(store, date, 1_500);
  const env = {
    ...s3Env(s3),
    ...redisEnv,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: fake.url,
    JOB_LOCK_SECONDS: '5',
    LLM_MAX_REQUESTS_PER_MINUTE: '100000',
  };
  const services = [startService('cluster-worker', env), startService('summarize-worker', env)];
  const enqueued = await runEtml(['enqueue', '--date', date], env);
  expect(enqueued.code, enqueued.stderr).toBe(0);
  return {
    fake,
    store,
    env,
    /** Both services' stderr so far. */
    stderr: () => services.map(service => service.stderr()).join(''),
    /**
     * Waits for the manifest, and checks that every anomaly has its LLM summary and that
     * `etml status` says the day is done.
     */
    async completed(timeoutMs: number): Promise<DayManifest> {
      await waitFor('the manifest', timeoutMs, () => store.exists(keys.manifest(date)));
      const manifest = await store.getJson<DayManifest>(keys.manifest(date));
      expect(manifest.counts.summaries_by_source).toEqual({
        llm: manifest.counts.anomalies,
        extractive: 0,
        failed: 0,
      });
      const status = await runEtml(['status', '--date', date], env);
      expect(status.stdout).toContain(`load-${date}: completed`);
      expect(status.stdout).toMatch(/summaries: \d+ done, 0 failed, 0 pending/);
      return manifest;
    },
  };
}
