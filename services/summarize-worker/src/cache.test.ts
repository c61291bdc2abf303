import { DEFAULT_REDIS_PREFIX, redisKeys } from '@etml/domain';
import { createObjectStore } from '@etml/storage';
import { PROMPT_VERSION } from '@etml/summarization';
import { redisClients, type S3Target, test } from '@etml/testing';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { type CachedSummary, SummaryCache } from './cache.ts';

const KEY = 'a'.repeat(64);
const LOCK = redisKeys(DEFAULT_REDIS_PREFIX).summaryLock(KEY);

const storeFor = (s3: S3Target) =>
  createObjectStore({
    bucket: s3.bucket,
    prefix: '',
    endpoint: s3.endpoint,
    credentials: s3.credentials,
  });

function summary(text: string): CachedSummary {
  return {
    summary: text,
    likely_cause: 'traffic_incident',
    source: 'llm',
    model: 'gpt-4o-mini',
    prompt_version: PROMPT_VERSION,
    usage: { promptTokens: 10, completionTokens: 5 },
  };
}

describe('SummaryCache on real Redis and S3', () => {
  test('computes a prompt once when ten jobs ask at the same time, and a rerun computes nothing', async ({
    redis,
    s3,
  }) => {
    const store = storeFor(s3);
    const clients = redisClients(redis.url, 10);
    let calls = 0;
    const compute = async () => {
      calls += 1;
      await new Promise(resolve => setTimeout(resolve, 300));
      return summary('A jam on the M8 after an accident.');
    };
    const results = await Promise.all(
      clients.map(c => new SummaryCache(store, c, { pollMs: 20 }).getOrCompute(KEY, compute)),
    );
    expect(calls).toBe(1);
    expect(results.filter(r => !r.hit)).toHaveLength(1);
    expect(new Set(results.map(r => r.value.summary))).toEqual(
      new Set(['A jam on the M8 after an accident.']),
    );
    expect(await store.exists(`cache/summaries/${KEY}.json`)).toBe(true);

    const again = await new SummaryCache(store, clients[0] as Redis).getOrCompute(KEY, compute);
    expect(again.hit).toBe(true);
    expect(calls).toBe(1);
  });

  test('takes over when the holder fails, and when a holder dies its lock expires', async ({
    redis,
    s3,
  }) => {
    const store = storeFor(s3);
    const [client] = redisClients(redis.url, 1) as [Redis];
    const cache = new SummaryCache(store, client, { pollMs: 20, lockTtlMs: 500 });
    await expect(
      cache.getOrCompute(KEY, async () => Promise.reject(new Error('LLM down'))),
    ).rejects.toThrow('LLM down');
    expect(await client.exists(LOCK)).toBe(0);

    // A worker killed while holding the lock: nothing releases it but its expiry.
    await client.set(LOCK, 'dead-worker', 'PX', 500);
    const started = Date.now();
    const result = await cache.getOrCompute(KEY, async () => summary('Recovered.'));
    expect(result).toEqual({ value: summary('Recovered.'), hit: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  test('a live holder slower than the lock TTL keeps its lock: still one computation', async ({
    redis,
    s3,
  }) => {
    const store = storeFor(s3);
    const clients = redisClients(redis.url, 2);
    let calls = 0;
    const slow = async () => {
      calls += 1;
      await new Promise(resolve => setTimeout(resolve, 1_000));
      return summary('Slow but sure.');
    };
    const [a, b] = clients.map(c => new SummaryCache(store, c, { pollMs: 20, lockTtlMs: 300 }));
    const first = (a as SummaryCache).getOrCompute(KEY, slow);
    await new Promise(resolve => setTimeout(resolve, 100));
    const second = await (b as SummaryCache).getOrCompute(KEY, slow);
    expect((await first).hit).toBe(false);
    expect(second).toEqual({ value: summary('Slow but sure.'), hit: true });
    expect(calls).toBe(1);
  });

  test('an object that is not a summary counts as missing and is replaced', async ({
    redis,
    s3,
  }) => {
    const store = storeFor(s3);
    const [client] = redisClients(redis.url, 1) as [Redis];
    await store.putJson(`cache/summaries/${KEY}.json`, { summary: 'x', likely_cause: 'aliens' });
    const cache = new SummaryCache(store, client);
    expect(await cache.get(KEY)).toBeUndefined();
    const result = await cache.getOrCompute(KEY, async () => summary('Fresh.'));
    expect(result.hit).toBe(false);
    expect(await cache.get(KEY)).toEqual(summary('Fresh.'));
  });
});
