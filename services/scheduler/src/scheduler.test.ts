import { addDays, rideDateInZone } from '@etml/domain';
import { producerConnection, QUEUES, queueOptions, type TickResult } from '@etml/queues';
import { createLogger } from '@etml/runtime';
import { createObjectStore } from '@etml/storage';
import { test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { createScheduler, ensureSchedule } from './scheduler.ts';

describe('the scheduler on a real Redis', () => {
  test('upserts the Job Scheduler only when it changed', async ({ redis }) => {
    const connection = await producerConnection(redis.url);
    const queue = new Queue(QUEUES.scheduler, queueOptions(connection));
    onTestFinished(async () => {
      await queue.close();
      connection.disconnect();
    });
    expect(await ensureSchedule(queue, '0 6 * * *', 'Europe/London')).toBe(true);
    const first = await queue.getJobScheduler('daily-rides');
    expect(await ensureSchedule(queue, '0 6 * * *', 'Europe/London')).toBe(false);
    expect((await queue.getJobScheduler('daily-rides'))?.next).toBe(first?.next);
    expect(await ensureSchedule(queue, '0 7 * * *', 'Europe/London')).toBe(true);
    expect((await queue.getJobScheduler('daily-rides'))?.pattern).toBe('0 7 * * *');
  });

  test('a tick enqueues cluster-D for the day before its fire time', async ({ redis, s3 }) => {
    const store = createObjectStore({
      bucket: s3.bucket,
      prefix: '',
      endpoint: s3.endpoint,
      credentials: s3.credentials,
    });
    // Every second, so a tick comes at once; New York, so the date is not simply UTC's.
    const tz = 'America/New_York';
    const scheduler = await createScheduler({
      redisUrl: redis.url,
      store,
      pattern: '* * * * * *',
      tz,
      catchUpDays: 0,
      log: createLogger('scheduler', () => {}),
    });
    onTestFinished(() => scheduler.close());
    const tick = await new Promise<TickResult>(resolve =>
      scheduler.worker.once('completed', (_job, result) => resolve(result)),
    );
    expect(Math.abs(Date.now() - tick.fired)).toBeLessThan(10_000);
    const expected = addDays(rideDateInZone(new Date(tick.fired), tz), -1);
    expect(tick.date).toBe(expected);
    expect(tick.cluster.jobId).toBe(`cluster-${expected}`);
    const connection = await producerConnection(redis.url);
    const clusterQueue = new Queue(QUEUES.cluster, queueOptions(connection));
    onTestFinished(async () => {
      await clusterQueue.close();
      connection.disconnect();
    });
    expect(await clusterQueue.getJob(`cluster-${expected}`)).toBeDefined();
  });
});
