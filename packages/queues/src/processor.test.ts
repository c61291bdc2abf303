import { parseRideDate } from '@etml/domain';
import { createLogger } from '@etml/runtime';
import { test } from '@etml/testing';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { JOBS, QUEUES } from './catalog.ts';
import { producerConnection, queueOptions, workerConnection } from './connection.ts';
import { jobIds } from './ids.ts';
import { checkProcessors, createWorker, processorFor } from './processor.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('the catalog drives the workers', () => {
  test('a processor gets its payload parsed, defaults filled in; a bad payload fails for good', async ({
    redis,
  }) => {
    const connection = await producerConnection(redis.url);
    const queue = new Queue(QUEUES.load, queueOptions(connection));
    const events = new QueueEvents(QUEUES.load, queueOptions(workerConnection(redis.url)));
    const seen: unknown[] = [];
    const worker = createWorker(
      QUEUES.load,
      [
        processorFor(JOBS.loadDay, async job => {
          seen.push(job.data);
          return { date: job.data.date, outputs: {}, counts: {} as never, llm: {} as never };
        }),
        processorFor(JOBS.refreshDay, async () => ({}) as never),
      ],
      { connection: workerConnection(redis.url), log: quiet },
    );
    onTestFinished(async () => {
      await worker.close();
      await events.close();
      await queue.close();
      connection.disconnect();
    });
    await events.waitUntilReady();
    const good = await queue.add(JOBS.loadDay.name, { date: '2025-07-30' });
    expect(await good.waitUntilFinished(events, 10_000)).toMatchObject({ date: '2025-07-30' });
    expect(seen).toEqual([{ date: '2025-07-30', step: 'fan-out' }]);

    const bad = await queue.add(JOBS.loadDay.name, { date: '2025-02-30' }, { attempts: 3 });
    await expect(bad.waitUntilFinished(events, 10_000)).rejects.toThrow(
      'bad payload {"date":"2025-02-30"}',
    );
    const failed = (await queue.getJob(bad.id as string)) as Job;
    expect(failed.attemptsMade).toBe(1);

    const stranger = await queue.add('not-in-the-catalog', { date: '2025-07-30' });
    await expect(stranger.waitUntilFinished(events, 10_000)).rejects.toThrow(
      'no processor for job "not-in-the-catalog" on queue "load"',
    );
    expect(seen).toHaveLength(1);
  });

  test('refuses at start-up a queue whose catalog jobs do not have exactly one processor each', () => {
    const load = processorFor(JOBS.loadDay, async () => ({}) as never);
    const refresh = processorFor(JOBS.refreshDay, async () => ({}) as never);
    const cluster = processorFor(JOBS.clusterDay, async () => ({}) as never);
    expect(() => checkProcessors(QUEUES.load, [load, refresh])).not.toThrow();
    expect(() => checkProcessors(QUEUES.load, [refresh])).toThrow(
      'queue "load": job "load-day" has 0 processors',
    );
    expect(() => checkProcessors(QUEUES.load, [load, load, refresh])).toThrow(
      'job "load-day" has 2 processors',
    );
    expect(() => checkProcessors(QUEUES.load, [load, refresh, cluster])).toThrow(
      'job "cluster-day" is not a catalog job of queue "load"',
    );
    expect(() =>
      createWorker(QUEUES.cluster, [load], {
        connection: undefined as never,
        log: quiet,
        autorun: false,
      }),
    ).toThrow('queue "cluster"');
  });

  test('every queue of the catalog has its jobs, and every job a queue', () => {
    for (const spec of Object.values(JOBS)) {
      expect(Object.values(QUEUES)).toContain(spec.queue);
    }
    for (const queue of Object.values(QUEUES)) {
      expect(Object.values(JOBS).some(spec => spec.queue === queue)).toBe(true);
    }
  });
});

describe('a job that vanishes under its worker', () => {
  test.for(['FLUSHALL', 'DEL'] as const)(
    '(%s of its keys while it runs) is dropped with one warning naming it, no error, and the worker goes on',
    async (how, { redis }) => {
      const connection = await producerConnection(redis.url);
      const queue = new Queue(QUEUES.load, queueOptions(connection));
      const lines: string[] = [];
      const log = {
        debug() {},
        info() {},
        warn: (message: string, fields?: object) =>
          lines.push(`WARN ${message} ${JSON.stringify(fields)}`),
        error: (message: string, fields?: object) =>
          lines.push(`ERROR ${message} ${JSON.stringify(fields)}`),
      };
      let release = () => {};
      const started: string[] = [];
      const worker = createWorker(
        QUEUES.load,
        [
          processorFor(JOBS.loadDay, async job => {
            started.push(job.id as string);
            if (job.id === 'load-2025-07-30') {
              await new Promise<void>(resolve => {
                release = resolve;
              });
              // What a step does as it goes: it finds its job gone.
              await job.updateProgress({ phase: 'writing' });
            }
            return { date: job.data.date, outputs: {}, counts: {} as never, llm: {} as never };
          }),
          processorFor(JOBS.refreshDay, async () => ({}) as never),
        ],
        // A lock renewed every 250 ms: its renewals fail again and again while the job runs.
        { connection: workerConnection(redis.url), log, lockDuration: 500 },
      );
      const events = new QueueEvents(QUEUES.load, queueOptions(workerConnection(redis.url)));
      onTestFinished(async () => {
        await worker.close();
        await events.close();
        await queue.close();
        connection.disconnect();
      });
      await queue.add(JOBS.loadDay.name, { date: '2025-07-30' }, { jobId: 'load-2025-07-30' });
      while (!started.includes('load-2025-07-30')) await new Promise(r => setTimeout(r, 20));
      if (how === 'FLUSHALL') await connection.flushall();
      else await connection.del(...(await connection.keys(`${queue.toKey('')}*`)));
      await new Promise(resolve => setTimeout(resolve, 1_500));
      release();
      await new Promise(resolve => setTimeout(resolve, 500));

      await events.waitUntilReady();
      const next = await queue.add(
        JOBS.loadDay.name,
        { date: '2025-07-31' },
        { jobId: 'load-2025-07-31' },
      );
      expect(await next.waitUntilFinished(events, 10_000)).toMatchObject({ date: '2025-07-31' });
      expect(lines.filter(line => line.startsWith('ERROR'))).toEqual([]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^WARN job lost from Redis .*"job":"load-2025-07-30"/);
    },
  );
});

describe('a job that stalls', () => {
  test('is logged as an error with what its id carries: the date, and a summary’s ride unless its id replaced it', async ({
    redis,
  }) => {
    const connection = await producerConnection(redis.url);
    const queue = new Queue(QUEUES.summarize, queueOptions(connection));
    const date = parseRideDate('2025-08-04');
    const plain = jobIds.summarizeRide(date, 'depot-7-ride-3');
    const replaced = jobIds.summarizeRide(date, 'depot:7/ride 3');
    for (const jobId of [plain, replaced]) {
      await queue.add(JOBS.summarizeRide.name, {}, { jobId });
    }
    // Taken by hand, so their locks are never renewed: they lapse, and the worker finds them stalled.
    const taker = new Worker(QUEUES.summarize, null, {
      ...queueOptions(workerConnection(redis.url)),
      lockDuration: 300,
    });
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('summarize-worker', line => lines.push(JSON.parse(line)), {
      format: 'json',
    });
    let worker: Worker | undefined;
    onTestFinished(async () => {
      await worker?.close();
      await taker.close();
      await queue.close();
      connection.disconnect();
    });
    expect((await taker.getNextJob('by-hand'))?.id).toBe(plain);
    expect((await taker.getNextJob('by-hand'))?.id).toBe(replaced);
    worker = createWorker(
      QUEUES.summarize,
      [processorFor(JOBS.summarizeRide, async () => ({}) as never)],
      { connection: workerConnection(redis.url), log, stalledInterval: 200 },
    );
    const stalled = () => lines.filter(line => line.msg === 'job stalled');
    while (stalled().length < 2) await new Promise(r => setTimeout(r, 50));
    expect(stalled()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'error',
          queue: 'summarize',
          job: plain,
          date,
          ride: 'depot-7-ride-3',
        }),
        expect.objectContaining({ level: 'error', queue: 'summarize', job: replaced, date }),
      ]),
    );
    expect(stalled().find(line => line.job === replaced)).not.toHaveProperty('ride');
  });
});
