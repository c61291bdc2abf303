import { parseRideDate } from '@etml/domain';
import { type RedisCluster, redisCommand, startRedisCluster, test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, waitFor } from './helpers.ts';
import { startServicesDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

/** Every key on every node of the cluster. */
async function clusterKeys(cluster: RedisCluster): Promise<string[]> {
  const all: string[] = [];
  for (const node of cluster.addresses) {
    all.push(...((await redisCommand(node, 'KEYS', '*')) as string[]));
  }
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

    const keys = await clusterKeys(cluster);
    expect(keys.length).toBeGreaterThan(0);
    // BullMQ's keys and the pipeline's own (metrics, limiter) share the one hash tag.
    expect(keys.filter(key => !key.startsWith('{etml}:'))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['{etml}:metrics', '{etml}:llm-requests']));
    expect(keys.some(key => key.startsWith('{etml}:summarize:'))).toBe(true);
  });

  test('with REDIS_PASSWORD, every service and the CLI authenticate to a password-protected cluster', {
    timeout: 240_000,
  }, async ({ s3 }) => {
    // `#`, `@`, `,` and `/` would each end a part of the target string were they not encoded.
    const password = 'p#s@w,rd/Ünï';
    const cluster = await startRedisCluster(3, { password });
    const [first] = cluster.nodes;
    await expect(redisCommand(first?.port ?? 0, 'PING')).rejects.toThrow();

    const day = await startServicesDay(s3, cluster.env, date);
    const manifest = await day.completed(180_000);
    expect(manifest.counts.anomalies).toBeGreaterThan(0);
    const keys = await clusterKeys(cluster);
    expect(keys.some(key => key.startsWith('{etml}:summarize:'))).toBe(true);
    expect(day.stderr()).not.toContain(password);

    const status = await runEtml(['status', '--date', date], day.env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout + status.stderr).not.toContain(password);
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
