import { addDays, keys, rideDateInZone } from '@etml/domain';
import { producerConnection, QUEUES, queueOptions, type TickResult } from '@etml/queues';
import { createLogger } from '@etml/runtime';
import { createObjectStore } from '@etml/storage';
import { type S3Target, test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { lastDueRideDate } from './schedule.ts';
import { createScheduler, ensureSchedule } from './scheduler.ts';

const storeOn = (s3: S3Target) =>
  createObjectStore({
    bucket: s3.bucket,
    prefix: '',
    endpoint: s3.endpoint,
    credentials: s3.credentials,
  });

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
    // Its next run lost (a Redis that failed over to a replica that had not caught up): set again.
    const next = (await queue.getJobScheduler('daily-rides'))?.next;
    const nextId = `repeat:daily-rides:${next}`;
    await connection.del(queue.toKey(nextId));
    await connection.zrem(queue.keys.delayed as string, nextId);
    expect(await queue.getJobState(nextId)).toBe('unknown');
    expect(await ensureSchedule(queue, '0 7 * * *', 'Europe/London')).toBe(true);
    expect(await queue.getJobState(nextId)).toBe('delayed');
    // A schedule an earlier version wrote, whose ticks carried their trace context on: rewritten
    // once with the context omitted, then left alone.
    await queue.upsertJobScheduler(
      'daily-rides',
      { pattern: '0 7 * * *', tz: 'Europe/London' },
      { name: 'tick', data: {} },
    );
    expect(await ensureSchedule(queue, '0 7 * * *', 'Europe/London')).toBe(true);
    const rewritten = await queue.getJobScheduler('daily-rides');
    expect(rewritten?.template?.opts?.telemetry?.omitContext).toBe(true);
    expect(await ensureSchedule(queue, '0 7 * * *', 'Europe/London')).toBe(false);
  });

  test('heals by itself after a FLUSHALL: the schedule is back within one period, and the lost day is enqueued again', async ({
    redis,
    s3,
  }) => {
    const store = storeOn(s3);
    const yesterday = lastDueRideDate('0 6 * * *', 'UTC', new Date());
    // The day before is done: its manifest is in S3, so the heal leaves it alone.
    await store.putJson(keys.manifest(addDays(yesterday, -1)), { date: 'done' });
    const lines: string[] = [];
    const scheduler = await createScheduler({
      redisUrl: redis.url,
      store,
      pattern: '0 6 * * *',
      tz: 'UTC',
      catchUpDays: 2,
      healMs: 1_000,
      log: createLogger('scheduler', line => lines.push(line)),
    });
    onTestFinished(() => scheduler.close());
    expect(scheduler.caughtUp).toEqual([yesterday]);
    const connection = await producerConnection(redis.url);
    const schedulerQueue = new Queue(QUEUES.scheduler, queueOptions(connection));
    const clusterQueue = new Queue(QUEUES.cluster, queueOptions(connection));
    onTestFinished(async () => {
      await Promise.all([schedulerQueue.close(), clusterQueue.close()]);
      connection.disconnect();
    });
    const before = await schedulerQueue.getJobScheduler('daily-rides');
    // A FLUSHALL keeps every connection up: only the timer can notice it.
    await connection.flushall();
    expect(await schedulerQueue.getJobScheduler('daily-rides')).toBeUndefined();
    const deadline = Date.now() + 10_000;
    while (!(await schedulerQueue.getJobScheduler('daily-rides'))) {
      if (Date.now() > deadline) throw new Error(`no schedule after 10 s:\n${lines.join('')}`);
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    const after = await schedulerQueue.getJobScheduler('daily-rides');
    expect(after).toMatchObject({ pattern: '0 6 * * *', tz: 'UTC', next: before?.next });
    while ((await clusterQueue.getJobState(`cluster-${yesterday}`)) === 'unknown') {
      if (Date.now() > deadline) throw new Error(`no cluster job after 10 s:\n${lines.join('')}`);
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    expect(await clusterQueue.getJobState(`cluster-${addDays(yesterday, -1)}`)).toBe('unknown');
    const warnings = lines.filter(line => / WARN /.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the schedule was missing from Redis; set it again');
    expect(lines.join('')).not.toMatch(/ ERROR /);
  });

  test('a tick enqueues cluster-D for the day before its fire time', async ({ redis, s3 }) => {
    const store = storeOn(s3);
    // Every second, so a tick comes at once; New York, so the date is not simply UTC's.
    const tz = 'America/New_York';
    const scheduler = await createScheduler({
      redisUrl: redis.url,
      store,
      pattern: '* * * * * *',
      tz,
      catchUpDays: 0,
      healMs: 300_000,
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
