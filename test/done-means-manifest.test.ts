import { addDays, keys, parseRideDate } from '@etml/domain';
import { producerConnection, QUEUES, queueOptions } from '@etml/queues';
import { catchUp } from '@etml/scheduler';
import { test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, startService, storeOf, waitFor } from './helpers.ts';
import { quiet, uploadSimulatedDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

describe('done means a manifest in S3, whatever Redis says', () => {
  test('with completed jobs left from a run in another prefix, run, enqueue, status and the catch-up compute the day again', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const base = { ...s3Env(s3), REDIS_URL: redis.url };
    const envOf = (prefix: string) => ({ ...base, S3_PREFIX: prefix });
    const services = async (prefix: string) => {
      const started = [
        startService('cluster-worker', envOf(prefix)),
        startService('summarize-worker', envOf(prefix)),
      ];
      return async () => {
        for (const service of started) expect(await service.stop()).toBe(0);
      };
    };
    for (const prefix of ['first/', 'second/', 'third/', 'fourth/']) {
      await uploadSimulatedDay(storeOf(s3, { prefix }), date, 400);
    }
    let stop = await services('first/');
    expect((await runEtml(['run', '--date', date], envOf('first/'))).code).toBe(0);
    await stop();

    // A new prefix: Redis still holds the completed cluster-D and load-D of the first.
    const second = storeOf(s3, { prefix: 'second/' });
    const status = await runEtml(['status', '--date', date], envOf('second/'));
    expect(status.stdout).toContain(`cluster-${date}: completed`);
    expect(status.stdout).toContain(
      `outputs: no manifest: the day is not complete, though its jobs say done`,
    );
    expect(status.stdout).toContain(`etml run --date ${date} computes it again`);
    stop = await services('second/');
    const run = await runEtml(['run', '--date', date], envOf('second/'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `cluster-${date}: its jobs said done but it has no manifest in S3: enqueued it again`,
    );
    expect(run.stderr).not.toContain('already');
    const listed = run.stdout.trim().split('\n');
    expect(listed).toContain(second.uri(keys.manifest(date)));
    for (const uri of listed) {
      expect(await second.exists(uri.slice(second.uri('').length)), uri).toBe(true);
    }
    await stop();

    const third = storeOf(s3, { prefix: 'third/' });
    stop = await services('third/');
    const enqueue = await runEtml(['enqueue', '--date', date], envOf('third/'));
    expect(enqueue.stdout).toContain('its jobs said done but it has no manifest in S3');
    await waitFor('the third manifest', 60_000, () => third.exists(keys.manifest(date)));
    // Done now: enqueue leaves it.
    const again = await runEtml(['enqueue', '--date', date], envOf('third/'));
    expect(again.stdout).toContain(`cluster-${date}: already there (completed)`);
    await stop();

    // The scheduler's catch-up, the morning after: nothing to do where the manifest is, the day
    // again where it is not.
    const connection = await producerConnection(redis.url);
    const clusterQueue = new Queue(QUEUES.cluster, queueOptions(connection));
    const loadQueue = new Queue(QUEUES.load, queueOptions(connection));
    onTestFinished(async () => {
      await Promise.all([clusterQueue.close(), loadQueue.close()]);
      connection.disconnect();
    });
    const deps = (prefix: string) => ({
      clusterQueue,
      loadQueue,
      store: storeOf(s3, { prefix }),
      redis: connection,
      pattern: '0 6 * * *',
      tz: 'UTC',
      days: 1,
      log: quiet,
    });
    const morning = new Date(`${addDays(date, 1)}T07:00:00Z`);
    expect(await catchUp(deps('third/'), morning)).toEqual([]);
    expect(await clusterQueue.getJobState(`cluster-${date}`)).toBe('completed');
    expect(await catchUp(deps('fourth/'), morning)).toEqual([date]);
    expect(await clusterQueue.getJobState(`cluster-${date}`)).toBe('waiting');
  });
});
