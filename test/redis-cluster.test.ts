import { parseRideDate } from '@etml/domain';
import { redisCommand, startRedisCluster, test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, waitFor } from './helpers.ts';
import { startServicesDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

/** Every key on every node of the cluster. */
async function clusterKeys(ports: readonly number[]): Promise<string[]> {
  const all: string[] = [];
  for (const port of ports) all.push(...((await redisCommand(port, 'KEYS', '*')) as string[]));
  return all;
}

describe('Redis Cluster', () => {
  test('a day end to end on a 3-master cluster: every key in the {etml} slot, every anomaly summarized', {
    timeout: 240_000,
  }, async ({ s3 }) => {
    const cluster = await startRedisCluster(3);
    // REDIS_URL is ignored: the cluster wins.
    const day = await startServicesDay(
      s3,
      { ...cluster.env, REDIS_URL: 'redis://127.0.0.1:9' },
      date,
    );
    await waitFor('summaries under way', 60_000, () => day.fake.count(200) >= 15);
    const manifest = await day.completed(180_000);
    expect(manifest.counts.anomalies).toBeGreaterThan(0);

    const keys = await clusterKeys(cluster.nodes.map(node => node.port));
    expect(keys.length).toBeGreaterThan(0);
    // BullMQ's keys and the pipeline's own (metrics, limiter) share the one hash tag.
    expect(keys.filter(key => !key.startsWith('{etml}:'))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['{etml}:metrics', '{etml}:llm-requests']));
    expect(keys.some(key => key.startsWith('{etml}:summarize:'))).toBe(true);
  });
});

describe('REDIS_PREFIX', () => {
  test("puts every key, the queues' too, under another hash tag", async ({ redis, s3 }) => {
    const env = { ...s3Env(s3), REDIS_URL: redis.url, REDIS_PREFIX: '{etml-b}' };
    const enqueued = await runEtml(['enqueue', '--date', date], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const keys = (await redisCommand(redis.port, 'KEYS', '*')) as string[];
    expect(keys).toContain(`{etml-b}:cluster:cluster-${date}`);
    expect(keys.filter(key => !key.startsWith('{etml-b}:'))).toEqual([]);
  });
});
