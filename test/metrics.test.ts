import { createServer } from 'node:net';
import { keys, parseRideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { getFreePort, startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { llmServicesEnv, runEtml, s3Env, startService, storeOf, waitFor } from './helpers.ts';
import { uploadDistinctDay, uploadSimulatedDay } from './pipeline.ts';

/** The value of one sample line of Prometheus text, by its name and labels as printed. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The sum of every series of a metric (all its label sets). */
function total(text: string, name: string): number {
  return text
    .split('\n')
    .filter(l => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Waits for a service's ready line, which names its METRICS_PORT, and returns a scraper. */
async function scraper(service: { stderr(): string }, port: number) {
  await waitFor('the service ready', 20_000, () => / ready .*metrics=/.test(service.stderr()));
  expect(service.stderr()).toContain(`metrics=${port}`);
  return async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

const COMPLETED = 'etml_job_duration_seconds_count{queue="cluster",outcome="completed"}';
const jobs = (queue: string, outcome: 'completed' | 'failed') =>
  `etml_job_duration_seconds_count{queue="${queue}",outcome="${outcome}"}`;

describe('worker metrics (METRICS_PORT)', () => {
  test('a cluster-worker counts its completed job and reports process metrics', async ({
    redis,
    s3,
  }) => {
    const port = await getFreePort();
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const worker = startService('cluster-worker', { ...env, METRICS_PORT: String(port) });
    await waitFor('the worker ready', 20_000, () => / ready .*metrics=/.test(worker.stderr()));
    expect(worker.stderr()).toContain(`metrics=${port}`);

    await uploadSimulatedDay(storeOf(s3), parseRideDate('2025-07-01'), 200);
    const enqueued = await runEtml(['enqueue', '--date', '2025-07-01'], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const text = await waitFor('the completed job in /metrics', 30_000, async () => {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return sample(body, COMPLETED) === undefined ? undefined : body;
    });
    expect(sample(text, COMPLETED)).toBe(1);
    expect(sample(text, COMPLETED.replace('completed', 'failed'))).toBeUndefined();
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(await worker.stop()).toBe(0);
  });

  test('a summarize-worker counts its jobs, each LLM request by outcome, the tokens answered and, on a forced rerun, the cache hits', async ({
    redis,
    s3,
  }) => {
    const date = parseRideDate('2025-07-02');
    // Some 429s (a storm naming a short wait) and some 500s, on requests fixed by their order.
    const fake = await startFakeLlm({
      fault: ({ n }) => (n % 6 === 2 ? 'storm' : n % 9 === 4 ? 'error' : undefined),
      stormRetryAfterMs: 50,
    });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 400);
    const port = await getFreePort();
    const env = {
      ...llmServicesEnv(s3, redis.url, fake.url),
      LLM_BACKOFF_SECONDS: '0.05',
      LLM_ATTEMPTS: '10',
    };
    startService('cluster-worker', env);
    const worker = startService('summarize-worker', { ...env, METRICS_PORT: String(port) });
    const scrape = await scraper(worker, port);

    const run = await runEtml(['run', '--date', date], env);
    expect(run.code, run.stderr).toBe(0);
    const { counts } = await store.getJson<DayManifest>(keys.manifest(date));
    expect(counts.summaries_by_source.llm).toBe(counts.anomalies);
    // The manifest is written inside load-D: its completed event comes just after.
    let text = await waitFor('load-D in /metrics', 10_000, async () => {
      const body = await scrape();
      return sample(body, jobs('load', 'completed')) === 1 ? body : undefined;
    });
    // Every distinct prompt answered once; each 500 cost its job an attempt, each 429 none.
    expect(fake.count(429)).toBeGreaterThan(0);
    expect(fake.count(500)).toBeGreaterThan(0);
    expect(fake.count(200)).toBe(counts.anomalies);
    expect(sample(text, jobs('summarize', 'completed'))).toBe(counts.anomalies);
    expect(sample(text, jobs('summarize', 'failed'))).toBe(fake.count(500));
    expect(sample(text, jobs('load', 'failed'))).toBeUndefined();

    const requests = fake.requests.length;
    expect(total(text, 'etml_llm_requests_total')).toBe(requests);
    expect(sample(text, 'etml_llm_requests_total{outcome="ok"}')).toBe(fake.count(200));
    expect(sample(text, 'etml_llm_requests_total{outcome="429"}')).toBe(fake.count(429));
    expect(sample(text, 'etml_llm_requests_total{outcome="5xx"}')).toBe(fake.count(500));
    expect(sample(text, 'etml_llm_requests_total{outcome="timeout"}')).toBe(0);
    expect(total(text, 'etml_llm_request_duration_seconds_count')).toBe(requests);
    expect(sample(text, 'etml_llm_request_duration_seconds_count{outcome="429"}')).toBe(
      fake.count(429),
    );
    const reported = fake.requests.reduce((sum, r) => sum + (r.tokens ?? 0), 0);
    expect(reported).toBeGreaterThan(0);
    expect(sample(text, 'etml_llm_tokens_total{kind="prompt"}')).toBeGreaterThan(0);
    expect(sample(text, 'etml_llm_tokens_total{kind="completion"}')).toBeGreaterThan(0);
    expect(total(text, 'etml_llm_tokens_total')).toBe(reported);
    expect(sample(text, 'etml_llm_cache_hits_total')).toBe(0);

    // Forced again: every summary from the cache, not one more request.
    const forced = await runEtml(['run', '--date', date, '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    text = await waitFor('the second load-D in /metrics', 10_000, async () => {
      const body = await scrape();
      return sample(body, jobs('load', 'completed')) === 2 ? body : undefined;
    });
    expect(fake.requests).toHaveLength(requests);
    expect(total(text, 'etml_llm_requests_total')).toBe(requests);
    expect(total(text, 'etml_llm_tokens_total')).toBe(reported);
    expect(sample(text, 'etml_llm_cache_hits_total')).toBe(counts.anomalies);
    expect(sample(text, jobs('summarize', 'completed'))).toBe(2 * counts.anomalies);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(await worker.stop()).toBe(0);
  });

  test('a scheduler serves its process metrics and the job histogram', async ({ redis, s3 }) => {
    const port = await getFreePort();
    const scheduler = startService('scheduler', {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      METRICS_PORT: String(port),
    });
    const text = await (await scraper(scheduler, port))();
    expect(text).toContain('# TYPE etml_job_duration_seconds histogram');
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(await scheduler.stop()).toBe(0);
  });

  test('without METRICS_PORT no metrics server is started', async ({ redis, s3 }) => {
    const worker = startService('cluster-worker', { ...s3Env(s3), REDIS_URL: redis.url });
    await waitFor('the worker ready', 20_000, () => / ready /.test(worker.stderr()));
    expect(worker.stderr()).toContain('metrics=off');
    expect(await worker.stop()).toBe(0);
  });

  test('a METRICS_PORT already taken is refused in one line naming it', async ({ redis, s3 }) => {
    const taken = createServer();
    await new Promise<void>(resolve => taken.listen(0, resolve));
    onTestFinished(() => new Promise<void>(resolve => taken.close(() => resolve())));
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const result = await runEtml(['cluster-worker'], {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      METRICS_PORT: String(address.port),
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `etml: invalid configuration: METRICS_PORT ${address.port} is already in use; set METRICS_PORT to a free port`,
    ]);
  });
});
