import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keys, parseRideDate, type RideDate } from '@etml/domain';
import { tlcSample } from '@etml/fixtures';
import {
  jobIds,
  producerConnection,
  QUEUES,
  queueOptions,
  WAITING_FOR_RAW,
  type WaitingForRawProgress,
} from '@etml/queues';
import { lastDueRideDate } from '@etml/scheduler';
import { simulateRides } from '@etml/simulate';
import { test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { ROOT, runEtml, s3Env, startService, storeOf, tempDir, waitFor } from './helpers.ts';

async function clusterQueue(redisUrl: string): Promise<Queue> {
  const connection = await producerConnection(redisUrl);
  const queue = new Queue(QUEUES.cluster, queueOptions(connection));
  onTestFinished(async () => {
    await queue.close();
    connection.disconnect();
  });
  return queue;
}

/** Waits until cluster-D has looked for its raw input, found none, and set its next check. */
function waitingProgress(queue: Queue, date: RideDate): Promise<WaitingForRawProgress> {
  return waitFor(`cluster-${date} to wait for its raw input`, 20_000, async () => {
    const job = await queue.getJob(jobIds.clusterDay(date));
    if (!job || (await job.getState()) !== 'delayed') return undefined;
    const progress = job.progress as WaitingForRawProgress;
    return progress.phase === WAITING_FOR_RAW ? progress : undefined;
  });
}

/** When cluster-D last started: before its next check only if something promoted it. */
async function lastStart(queue: Queue, date: RideDate): Promise<number> {
  const job = await queue.getJob(jobIds.clusterDay(date));
  return job?.processedOn ?? Number.POSITIVE_INFINITY;
}

const hhmm = (ms: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(ms);

/** Starts `etml run`, returns its stderr so far and a way to stop it. */
function startRun(args: string[], env: Record<string, string>) {
  const child = spawn(join(ROOT, 'bin', 'etml'), ['run', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', chunk => {
    stderr += chunk;
  });
  const exited = new Promise(resolve => child.on('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  onTestFinished(stop);
  return { stderr: () => stderr, stop };
}

describe('raw input that arrives after its day was queued', () => {
  test('a day queued by the catch-up before its data arrives completes within 10 s of etml simulate, with no manual step; status and run say what it waits for', async ({
    redis,
    s3,
  }) => {
    const tz = 'Asia/Kolkata';
    const env = { ...s3Env(s3), REDIS_URL: redis.url, CATCHUP_DAYS: '1', SCHEDULE_TZ: tz };
    const date = lastDueRideDate('0 6 * * *', tz, new Date());
    const queue = await clusterQueue(redis.url);
    // RAW_WAIT_MINUTES is left at its default: the first recheck is a minute away, so only a
    // promotion can start the day within the 10 s below.
    startService('cluster-worker', env);
    startService('summarize-worker', env);
    startService('scheduler', env);
    const waiting = await waitingProgress(queue, date);
    const where = `s3://${s3.bucket}/raw/date=${date}/rides.{json,jsonl,csv}`;
    expect(waiting.key).toBe(where);
    const line = `waiting for raw input ${where}, next check at ${hhmm(waiting.nextCheckAt, tz)}`;

    const status = await runEtml(['status', '--date', date], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`cluster-${date}: delayed\n  ${line}\n`);

    const run = startRun(['--date', date], env);
    await waitFor('etml run to show the wait', 10_000, () =>
      run.stderr().includes(`${date} cluster: ${line}`),
    );
    await run.stop();

    const simulate = await runEtml(['simulate', '--date', date, '--rides', '300'], env);
    expect(simulate.code, simulate.stderr).toBe(0);
    expect(simulate.stderr).toContain(`cluster-${date} was waiting for this input: started it`);
    const store = storeOf(s3);
    await waitFor(`${date}'s manifest`, 10_000, () => store.exists(keys.manifest(date)));
    expect(await lastStart(queue, date)).toBeLessThan(waiting.nextCheckAt);
  });

  test('etml enqueue and etml run start a waiting day whose input is there; upload and import start waiting days and say what they did to others', async ({
    redis,
    s3,
  }) => {
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const [a, b, c] = ['2025-08-01', '2025-08-02', '2025-08-03'].map(d => parseRideDate(d)) as [
      RideDate,
      RideDate,
      RideDate,
    ];
    const tlcDay = parseRideDate('2015-01-07');
    const queue = await clusterQueue(redis.url);
    startService('cluster-worker', env);
    startService('summarize-worker', env);
    for (const date of [a, b, tlcDay]) {
      const enqueued = await runEtml(['enqueue', '--date', date], env);
      expect(enqueued.stdout).toBe(`cluster-${date}: enqueued\n`);
    }
    const waits = new Map<RideDate, WaitingForRawProgress>();
    for (const date of [a, b, tlcDay]) waits.set(date, await waitingProgress(queue, date));

    // SCHEDULE_TZ defaults to UTC, and the time says so.
    const status = await runEtml(['status', '--date', a], env);
    expect(status.stdout).toContain(
      `, next check at ${hhmm(waits.get(a)?.nextCheckAt ?? 0, 'UTC')} UTC\n`,
    );

    // The input arrives behind the CLI's back (another tool writing to the bucket).
    const store = storeOf(s3);
    for (const date of [a, b]) {
      await store.writeNdjson(
        keys.raw(date, 'jsonl'),
        simulateRides({ date, rides: 300, seed: 5 }),
      );
    }
    const enqueued = await runEtml(['enqueue', '--date', a], env);
    expect(enqueued.stdout).toBe(
      `cluster-${a}: was waiting for its raw input, which is there now: started it\n`,
    );
    const run = await runEtml(['run', '--date', b], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `cluster-${b}: was waiting for its raw input, which is there now: started it`,
    );
    await waitFor(`${a}'s manifest`, 30_000, () => store.exists(keys.manifest(a)));
    for (const date of [a, b]) {
      expect(await lastStart(queue, date)).toBeLessThan(waits.get(date)?.nextCheckAt ?? 0);
    }

    const imported = await runEtml(['import', '--file', tlcSample.yellow201501Csv], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain(`cluster-${tlcDay} was waiting for this input: started it`);
    await waitFor(`${tlcDay}'s manifest`, 30_000, () => store.exists(keys.manifest(tlcDay)));
    expect(await lastStart(queue, tlcDay)).toBeLessThan(waits.get(tlcDay)?.nextCheckAt ?? 0);

    // A finished day is not run again behind anyone's back, and no job is no message.
    const file = join(tempDir(), 'rides.jsonl');
    writeFileSync(
      file,
      [...simulateRides({ date: b, rides: 50, seed: 9 })].map(r => JSON.stringify(r)).join('\n'),
    );
    const done = await runEtml(['upload', '--date', b, '--file', file], env);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(
      `cluster-${b} is already done; etml run --date ${b} --force computes the day again from this input`,
    );
    const none = await runEtml(['upload', '--date', c, '--file', file], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).not.toContain(`cluster-${c}`);
    expect(await queue.getJob(jobIds.clusterDay(c))).toBeUndefined();
  });
});
