import { parseRideDate } from '@etml/domain';
import {
  createWorker,
  JOBS,
  jobIds,
  processorFor,
  producerConnection,
  QUEUES,
  queueOptions,
  workerConnection,
} from '@etml/queues';
import { createLogger } from '@etml/runtime';
import { test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { addRefresh, refreshProcessor } from './refresh.ts';

const date = parseRideDate('2025-07-30');
const quiet = createLogger('test', () => {});

/** Polls `probe` until it holds, for up to 10 s. */
async function until(probe: () => Promise<boolean>) {
  for (let i = 0; i < 400 && !(await probe()); i += 1) await new Promise(r => setTimeout(r, 25));
  expect(await probe()).toBe(true);
}

describe('refresh-day', () => {
  test('waits while load-D runs, then runs it again once; one asked for while it runs is kept', async ({
    redis,
  }) => {
    const connection = await producerConnection(redis.url);
    const loadQueue = new Queue(QUEUES.load, queueOptions(connection));
    // A load-D that holds each run until the test lets it go.
    let runs = 0;
    let release: () => void = () => {};
    const worker = createWorker(
      QUEUES.load,
      [
        processorFor(JOBS.loadDay, async () => {
          runs += 1;
          await new Promise<void>(resolve => {
            release = resolve;
          });
          return {} as never;
        }),
        refreshProcessor({ loadQueue, delayMs: 100, log: quiet }),
      ],
      { connection: workerConnection(redis.url), log: quiet, concurrency: 2 },
    );
    onTestFinished(async () => {
      release();
      await worker.close();
      await loadQueue.close();
      connection.disconnect();
    });
    const loadId = jobIds.loadDay(date);
    await loadQueue.add(JOBS.loadDay.name, { date }, { jobId: loadId });
    await until(async () => runs === 1);

    // Asked for while load-D runs (its fan-in may have read the values already): it waits,
    // looking again now and then.
    await addRefresh(loadQueue, date, 'summarize-2025-07-30-1.1', 50);
    const later = async () =>
      (await loadQueue.getJobs(['completed'])).filter(job => job.returnvalue?.action === 'later');
    await until(async () => (await later()).length >= 2);
    expect(runs).toBe(1);
    // A second late summary in the meantime joins the waiting refresh (debounce).
    await addRefresh(loadQueue, date, 'summarize-2025-07-30-2.1', 50);
    release();
    await until(async () => runs === 2);
    release();
    await until(async () => (await loadQueue.getJobState(loadId)) === 'completed');
    // Let any refresh still pending run out.
    await until(
      async () => (await loadQueue.getJobCounts('delayed', 'wait', 'active')).delayed === 0,
    );
    const reruns = (await loadQueue.getJobs(['completed'])).filter(
      job => job.name === JOBS.refreshDay.name && job.returnvalue?.action === 'rerun',
    );
    expect(reruns).toHaveLength(1);
    expect(reruns[0]?.returnvalue).toEqual({ date, load: 'completed', action: 'rerun' });
    // Nothing else asked: no third run.
    expect(await loadQueue.getJobCounts('delayed', 'wait', 'active')).toEqual({
      delayed: 0,
      wait: 0,
      active: 0,
    });
    expect(runs).toBe(2);
  });
});
