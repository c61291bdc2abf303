import { describe, expect, it } from 'vitest';
import {
  createRedisClient,
  describeRedisTarget,
  keyPrefixOf,
  ownKeys,
  redisTargetFrom,
  withKeyPrefix,
} from './redis-target.ts';

describe('Redis targets', () => {
  it('Sentinel and Cluster win over REDIS_URL; REDIS_URL alone is kept as it is', () => {
    const url = 'redis://u:secret@10.0.0.9:6379/2';
    expect(redisTargetFrom({ REDIS_URL: url })).toBe(url);
    expect(
      redisTargetFrom({
        REDIS_URL: url,
        REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379',
        REDIS_SENTINEL_NAME: 'etml',
      }),
    ).toBe('redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/etml');
    expect(redisTargetFrom({ REDIS_URL: url, REDIS_CLUSTER_NODES: 'a:7000,b:7001' })).toBe(
      'redis-cluster://a:7000,b:7001',
    );
    expect(redisTargetFrom({})).toBeUndefined();
  });

  it('describes each kind for people, with no password and the prefix when it is not the default', () => {
    expect(describeRedisTarget('redis://u:secret@10.0.0.9:6379/2')).toBe(
      'redis://***:***@10.0.0.9:6379/2',
    );
    expect(describeRedisTarget(withKeyPrefix('redis://:secret@h:6379', '{b}'))).toBe(
      'redis://:***@h:6379 (keys under {b})',
    );
    expect(describeRedisTarget('redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/etml')).toBe(
      'Redis Sentinel master "etml" via 10.0.0.1:26379,10.0.0.2:26379',
    );
    expect(describeRedisTarget(withKeyPrefix('redis-cluster://a:7000', '{etml}'))).toBe(
      'Redis Cluster via a:7000',
    );
  });

  it("a client knows its target's key prefix, {etml} unless set", () => {
    const plain = createRedisClient('redis://127.0.0.1:9', { lazyConnect: true });
    const other = createRedisClient(withKeyPrefix('redis://127.0.0.1:9', '{b}'), {
      lazyConnect: true,
    });
    expect(keyPrefixOf(plain)).toBe('{etml}');
    expect(keyPrefixOf(other)).toBe('{b}');
    expect(ownKeys(other).metrics).toBe('{b}:metrics');
    expect(ownKeys(plain).summaryLock('k')).toBe('{etml}:summary-lock:k');
  });
});
