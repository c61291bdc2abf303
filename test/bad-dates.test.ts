import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addDays, DEFAULT_REDIS_PREFIX, rideDateInZone } from '@etml/domain';
import { JOBS, QUEUES } from '@etml/queues';
import { createLogger } from '@etml/runtime';
import { createScheduler } from '@etml/scheduler';
import { test } from '@etml/testing';
import { Job, Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, storeOf, tempDir } from './helpers.ts';
import { startPipeline } from './pipeline.ts';

const BAD_DATES = ['2025-02-30', '../../x', '2025-7-30', '20250730', '2025-07-30T00:00:00Z']; // not a path

describe('bad dates', () => {
  test('every CLI command that takes a date refuses each bad one in one line naming the flag, exit 2, writing nothing', {
    timeout: 180_000,
  }, async ({ redis, s3 }) => {
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const file = join(tempDir(), 'rides.jsonl');
    writeFileSync(file, '{"ride_id":"r1","ride_dist":1,"ride_time":0.1}\n');
    const commands = (date: string): [string, string[]][] => [
      ['--date', ['simulate', '--date', date]],
      ['--date', ['upload', '--date', date, '--file', file]],
      ['--date', ['run', '--date', date]],
      ['--date', ['status', '--date', date]],
      ['--date', ['enqueue', '--date', date]],
      ['--from', ['backfill', '--from', date, '--to', '2025-07-30']],
      ['--to', ['backfill', '--from', '2025-07-01', '--to', date]],
      ['--date', ['report', '--date', date]],
      ['--date', ['demo', '--date', date]],
    ];
    const runs = BAD_DATES.flatMap(date =>
      commands(date).map(([flag, args]) => ({ date, flag, args })),
    );
    // Four at a time: each is a Node process.
    for (let i = 0; i < runs.length; i += 4) {
      await Promise.all(
        runs.slice(i, i + 4).map(async ({ date, flag, args }) => {
          const result = await runEtml(args, env);
          const what = `etml ${args.join(' ')}`;
          expect(result.code, what).toBe(2);
          expect(result.stderr.trimEnd().split('\n'), what).toHaveLength(1);
          expect(result.stderr, what).toContain(flag);
          expect(result.stderr, what).toContain(JSON.stringify(date));
        }),
      );
    }
    const written: string[] = [];
    for await (const item of storeOf(s3).list()) written.push(item.key);
    expect(written).toEqual([]);
    const queue = new Queue(QUEUES.cluster, {
      connection: { url: redis.url },
      prefix: DEFAULT_REDIS_PREFIX,
    });
    onTestFinished(() => queue.close());
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  });

  test('"today" is today in SCHEDULE_TZ: every command refuses a later date there, naming the flag, the date and the zone, and takes today', {
    timeout: 180_000,
  }, async ({ redis, s3 }) => {
    // UTC+14 and UTC-11: today in Kiritimati is always after today in Pago Pago, whatever zone
    // this machine's clock is in, so the same date is today in one and the future in the other.
    const date = rideDateInZone(new Date(), 'Pacific/Kiritimati');
    const infra = { ...s3Env(s3), REDIS_URL: redis.url };
    const behind = { ...infra, SCHEDULE_TZ: 'Pacific/Pago_Pago' };
    const refused: [string, string[]][] = [
      ['--date', ['simulate', '--date', date]],
      ['--date', ['run', '--date', date]],
      ['--date', ['enqueue', '--date', date]],
      ['--from', ['backfill', '--from', date, '--to', date]],
      ['--to', ['backfill', '--from', addDays(date, -3), '--to', date]],
      ['--date', ['report', '--date', date]],
      ['--date', ['query', '--date', date]],
      ['--to', ['query', '--from', addDays(date, -3), '--to', date]],
      ['--date', ['demo', '--date', date]],
    ];
    for (let i = 0; i < refused.length; i += 4) {
      await Promise.all(
        refused.slice(i, i + 4).map(async ([flag, args]) => {
          const result = await runEtml(args, behind);
          const what = `etml ${args.join(' ')}`;
          expect(result.code, what).toBe(2);
          expect(result.stderr.trimEnd().split('\n'), what).toHaveLength(1);
          expect(result.stderr, what).toContain(`${flag} ${date} is in the future`);
          expect(result.stderr, what).toContain('in SCHEDULE_TZ Pacific/Pago_Pago');
          // Nothing suggests a command that would be refused as well.
          expect(result.stderr, what).not.toMatch(/etml (run|enqueue)/);
        }),
      );
    }
    const written: string[] = [];
    for await (const item of storeOf(s3).list()) written.push(item.key);
    expect(written).toEqual([]);

    const ahead = { ...infra, SCHEDULE_TZ: 'Pacific/Kiritimati' };
    const simulated = await runEtml(['simulate', '--date', date, '--rides', '10'], ahead);
    expect(simulated.code, simulated.stderr).toBe(0);
    const enqueued = await runEtml(['enqueue', '--date', date], ahead);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    expect(enqueued.stdout).toBe(`cluster-${date}: enqueued\n`);
  });

  test('every service refuses a job whose payload has a bad date, at once and for good, writing nothing', {
    timeout: 60_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const pipeline = await startPipeline(redis, store);
    const scheduler = await createScheduler({
      redisUrl: redis.url,
      store,
      pattern: '0 6 * * *',
      tz: 'UTC',
      catchUpDays: 0,
      healMs: 300_000,
      log: createLogger('test', () => {}),
    });
    onTestFinished(() => scheduler.close());
    const schedulerQueue = new Queue(QUEUES.scheduler, {
      connection: { url: redis.url },
      prefix: DEFAULT_REDIS_PREFIX,
    });
    onTestFinished(() => schedulerQueue.close());

    const jobs: Job[] = [];
    for (const [n, date] of BAD_DATES.entries()) {
      jobs.push(
        await pipeline.clusterQueue.add(
          JOBS.clusterDay.name,
          { date },
          { jobId: `bad-cluster-${n}` },
        ),
        await pipeline.loadQueue.add(JOBS.loadDay.name, { date }, { jobId: `bad-load-${n}` }),
        await pipeline.summarizeQueue.add(
          JOBS.summarizeRide.name,
          { date, rideId: 'r1', prompt: 'a'.repeat(64) },
          { jobId: `bad-summarize-${n}` },
        ),
      );
    }
    // A tick added by hand, without the fire time a Job Scheduler gives its jobs.
    jobs.push(await schedulerQueue.add('tick', { date: '../../x' }, { jobId: 'bad-tick' })); // not a path

    for (const job of jobs) {
      for (let i = 0; i < 100 && (await job.getState()) !== 'failed'; i += 1) {
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      const failed = (await Job.fromId(
        job.queueName === QUEUES.scheduler ? schedulerQueue : queueOf(job),
        job.id as string,
      )) as Job;
      expect(await failed.getState(), job.id).toBe('failed');
      expect(failed.attemptsMade, job.id).toBe(1);
      if (job.queueName !== QUEUES.scheduler) {
        expect(failed.failedReason, job.id).toContain(
          JSON.stringify((job.data as { date: string }).date),
        );
        expect(failed.failedReason, job.id).toMatch(/date/);
      } else {
        expect(failed.failedReason).toContain('has no fire time');
      }
    }
    const written: string[] = [];
    for await (const item of store.list()) written.push(item.key);
    expect(written).toEqual([]);

    function queueOf(job: Job): Queue {
      return job.queueName === QUEUES.cluster
        ? pipeline.clusterQueue
        : job.queueName === QUEUES.load
          ? pipeline.loadQueue
          : pipeline.summarizeQueue;
    }
  });
});
