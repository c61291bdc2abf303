import { createRequire } from 'node:module';
import { test } from '@etml/testing';
import { FlowProducer, Queue, QueueEvents, Worker } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { BULLMQ_LAYOUT_VERSION, childKey, childStates } from './bullmq-keys.ts';
import { producerConnection, workerConnection } from './connection.ts';

describe("BullMQ's keys for a parent's children", () => {
  test('are where bullmq-keys.ts reads them, for pending, completed and failed children', async ({
    redis,
  }) => {
    const connection = await producerConnection(redis.url);
    const flows = new FlowProducer({ connection });
    const children = new Queue('kids', { connection });
    const events = new QueueEvents('kids', { connection: workerConnection(redis.url) });
    await events.waitUntilReady();
    const tree = await flows.add({
      name: 'parent',
      queueName: 'parents',
      data: {},
      children: [
        { name: 'done', queueName: 'kids', data: {}, opts: { jobId: 'done' } },
        {
          name: 'fails',
          queueName: 'kids',
          data: {},
          opts: { jobId: 'fails', attempts: 1, ignoreDependencyOnFailure: true },
        },
        { name: 'later', queueName: 'kids', data: {}, opts: { jobId: 'later', delay: 3_600_000 } },
      ],
    });
    await children.add('stranger', {}, { jobId: 'stranger' });
    const finished = Promise.all(
      ['done', 'fails'].map(
        id =>
          new Promise<void>(resolve => {
            const check = ({ jobId }: { jobId: string }) => jobId === id && resolve();
            events.on('completed', check);
            events.on('failed', check);
          }),
      ),
    );
    const worker = new Worker(
      'kids',
      async job => {
        if (job.name === 'fails') throw new Error('no');
        return 'ok';
      },
      { connection: workerConnection(redis.url) },
    );
    onTestFinished(async () => {
      await worker.close();
      await events.close();
      await Promise.all([children.close(), flows.close()]);
      connection.disconnect();
    });
    await finished;

    const parent = { id: tree.job.id as string, queueQualifiedName: tree.job.queueQualifiedName };
    const ids = ['done', 'fails', 'later', 'stranger', 'missing'];
    const states = await childStates(
      connection,
      parent,
      ids.map(id => childKey(children.qualifiedName, id)),
    );
    expect(Object.fromEntries(ids.map((id, i) => [id, states[i]]))).toEqual({
      done: { own: true, exists: true },
      fails: { own: true, exists: true },
      later: { own: true, exists: true },
      stranger: { own: false, exists: true },
      missing: { own: false, exists: false },
    });
    // The same answers from BullMQ's API, one job at a time.
    expect(await tree.job.getDependenciesCount()).toMatchObject({
      processed: 1,
      unprocessed: 1,
      ignored: 1,
    });
  });

  test("a failed child retried after its parent completed: its value joins the parent's, the parent stays completed", async ({
    redis,
  }) => {
    // What the refresh of a loaded day (summarize-worker load/refresh.ts) relies on.
    const connection = await producerConnection(redis.url);
    const flows = new FlowProducer({ connection });
    const parents = new Queue('parents', { connection });
    const children = new Queue('kids', { connection });
    let healthy = false;
    const kids = new Worker(
      'kids',
      async job => {
        if (!healthy) throw new Error(`down for ${job.id}`);
        return `value of ${job.id}`;
      },
      { connection: workerConnection(redis.url) },
    );
    const parentWorker = new Worker('parents', async () => 'loaded', {
      connection: workerConnection(redis.url),
    });
    onTestFinished(async () => {
      await Promise.all([kids.close(), parentWorker.close()]);
      await Promise.all([children.close(), parents.close(), flows.close()]);
      connection.disconnect();
    });
    const child = (id: string) => ({
      name: 'kid',
      queueName: 'kids',
      data: {},
      opts: { jobId: id, attempts: 1, ignoreDependencyOnFailure: true },
    });
    const tree = await flows.add({
      name: 'parent',
      queueName: 'parents',
      data: {},
      children: [child('a'), child('b'), child('c')],
    });
    const parent = tree.job;
    const settle = async (what: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await what()); i += 1) await new Promise(r => setTimeout(r, 25));
      expect(await what()).toBe(true);
    };
    await settle(async () => (await parent.getState()) === 'completed');
    const key = (id: string) => childKey(children.qualifiedName, id);
    expect(Object.keys(await parent.getIgnoredChildrenFailures()).sort()).toEqual(
      ['a', 'b', 'c'].map(key),
    );

    healthy = true;
    // Bull Board's Retry (job.retry) and "Retry all" (queue.retryJobs) take the same path.
    await (await children.getJob('a'))?.retry('failed');
    await settle(async () => (await children.getJobState('a')) === 'completed');
    healthy = false;
    await children.retryJobs({ state: 'failed' });
    await settle(async () => (await children.getJobCounts('failed')).failed === 2);
    healthy = true;
    await children.retryJobs({ state: 'failed' });
    await settle(async () => (await children.getJobCounts('completed')).completed === 3);

    expect(await parent.getState()).toBe('completed');
    expect(await parent.getChildrenValues()).toEqual({
      [key('a')]: 'value of a',
      [key('b')]: 'value of b',
      [key('c')]: 'value of c',
    });
    expect(await parent.getIgnoredChildrenFailures()).toEqual({});
    expect(await parent.getDependenciesCount()).toMatchObject({ unprocessed: 0, ignored: 0 });
  });

  test('were checked against the installed BullMQ', () => {
    const installed = createRequire(import.meta.url)('bullmq/package.json').version;
    // A new BullMQ: run the test above, read its Lua scripts for these keys, then update this.
    expect(installed).toBe(BULLMQ_LAYOUT_VERSION);
  });
});
