import { createServer } from 'node:net';
import { parseRideDate } from '@etml/domain';
import { getFreePort, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf, waitFor } from './helpers.ts';
import { uploadSimulatedDay } from './pipeline.ts';

/** The value of one sample line of Prometheus text, by its name and labels as printed. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const COMPLETED = 'etml_job_duration_seconds_count{queue="cluster",outcome="completed"}';

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
