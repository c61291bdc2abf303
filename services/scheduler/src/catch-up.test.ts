import { keys, parseRideDate } from '@etml/domain';
import { producerConnection, QUEUES, queueOptions } from '@etml/queues';
import { createLogger } from '@etml/runtime';
import { createObjectStore } from '@etml/storage';
import { test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { catchUp } from './catch-up.ts';

const quiet = createLogger('scheduler', () => {});

describe('catch-up on a real Redis and S3', () => {
  test('after a 3-day outage, two schedulers at once enqueue exactly the 3 missing dates, once', async ({
    redis,
    s3,
  }) => {
    const store = createObjectStore({
      bucket: s3.bucket,
      prefix: '',
      endpoint: s3.endpoint,
      credentials: s3.credentials,
    });
    // Days up to 27 July were done; the pipeline was down from 28 to 30 July. It is now 31 July,
    // 07:00 UTC, after the 06:00 run was due.
    for (const day of ['2025-07-24', '2025-07-25', '2025-07-26', '2025-07-27']) {
      await store.putJson(keys.manifest(parseRideDate(day)), { date: day, status: 'complete' });
    }
    const schedulers = await Promise.all(
      [1, 2].map(async () => {
        const connection = await producerConnection(redis.url);
        const clusterQueue = new Queue(QUEUES.cluster, queueOptions(connection));
        const loadQueue = new Queue(QUEUES.load, queueOptions(connection));
        onTestFinished(async () => {
          await Promise.all([clusterQueue.close(), loadQueue.close()]);
          connection.disconnect();
        });
        return {
          clusterQueue,
          loadQueue,
          store,
          redis: connection,
          pattern: '0 6 * * *',
          tz: 'UTC',
          days: 7,
          log: quiet,
        };
      }),
    );
    const now = new Date('2025-07-31T07:00:00Z');
    const results = await Promise.all(schedulers.map(deps => catchUp(deps, now)));
    expect(results.flat().sort()).toEqual(['2025-07-28', '2025-07-29', '2025-07-30']);

    const queue = schedulers[0]?.clusterQueue as Queue;
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    expect(jobs.map(j => j.id).sort()).toEqual([
      'cluster-2025-07-28',
      'cluster-2025-07-29',
      'cluster-2025-07-30',
    ]);
    // Enqueued oldest first (getWaiting lists the oldest first), so the backlog runs in date order.
    const waiting = await queue.getWaiting();
    expect(waiting.map(j => j.id)).toEqual([
      'cluster-2025-07-28',
      'cluster-2025-07-29',
      'cluster-2025-07-30',
    ]);

    // Later ticks find nothing missing; before the 06:00 run, yesterday is not due yet.
    expect(await catchUp(schedulers[1] as (typeof schedulers)[number], now)).toEqual([]);
    expect(
      await catchUp(schedulers[0] as (typeof schedulers)[number], new Date('2025-08-01T05:00:00Z')),
    ).toEqual([]);
    expect(
      await catchUp(schedulers[0] as (typeof schedulers)[number], new Date('2025-08-01T06:00:01Z')),
    ).toEqual(['2025-07-31']);
  });
});
