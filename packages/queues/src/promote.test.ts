import { parseRideDate } from '@etml/domain';
import { queueOptions } from '@etml/queues';
import { test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { JOBS, QUEUES } from './catalog.ts';
import { producerConnection } from './connection.ts';
import { enqueueClusterDay } from './enqueue.ts';
import { promoteClusterDay } from './promote.ts';

describe('promoteClusterDay', () => {
  test('starts a delayed cluster-D now and leaves every other state as it is', async ({
    redis,
  }) => {
    const connection = await producerConnection(redis.url);
    const queue = new Queue(QUEUES.cluster, queueOptions(connection));
    onTestFinished(async () => {
      await queue.close();
      connection.disconnect();
    });
    const date = parseRideDate('2025-07-30');
    expect(await promoteClusterDay(queue, date)).toEqual({
      jobId: 'cluster-2025-07-30',
      state: 'missing',
      promoted: false,
    });

    await enqueueClusterDay(queue, date);
    expect(await promoteClusterDay(queue, date)).toMatchObject({
      state: 'waiting',
      promoted: false,
    });

    // Delayed as the cluster step delays a day whose raw input is late: an hour away.
    const late = parseRideDate('2025-07-31');
    const spec = JOBS.clusterDay;
    await queue.add(
      spec.name,
      { date: late },
      { ...spec.options, jobId: 'cluster-2025-07-31', delay: 3_600_000 },
    );
    expect(await promoteClusterDay(queue, late)).toMatchObject({
      state: 'delayed',
      promoted: true,
    });
    expect(await (await queue.getJob('cluster-2025-07-31'))?.getState()).toBe('waiting');
    // A second caller (another upload) finds nothing left to do.
    expect(await promoteClusterDay(queue, late)).toMatchObject({
      state: 'waiting',
      promoted: false,
    });
  });
});
