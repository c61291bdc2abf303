import { ConfigError } from '@etml/domain';
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

  describe('AUTH for Sentinel and Cluster', () => {
    const password = 'p#s@w,rd/Ü?x:y';
    const sentinelPassword = 's3nt#nel@';
    const sentinelEnv = {
      REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379',
      REDIS_SENTINEL_NAME: 'etml',
    };

    /** The message of what `run` throws, or '' when it does not. */
    function thrown(run: () => unknown): string {
      try {
        run();
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
    }

    it('carries the credentials percent-encoded, so the prefix and the node list survive them', () => {
      const cluster = redisTargetFrom({
        REDIS_CLUSTER_NODES: 'a:7000,b:7001',
        REDIS_USERNAME: 'etml',
        REDIS_PASSWORD: password,
      });
      expect(cluster).toBe(`redis-cluster://etml:${encodeURIComponent(password)}@a:7000,b:7001`);
      const target = withKeyPrefix(cluster ?? '', '{b}');
      expect(describeRedisTarget(target)).toBe(
        'Redis Cluster as user "etml" via a:7000,b:7001 (keys under {b})',
      );

      const sentinel = redisTargetFrom({
        ...sentinelEnv,
        REDIS_PASSWORD: password,
        REDIS_SENTINEL_PASSWORD: sentinelPassword,
      });
      expect(describeRedisTarget(sentinel ?? '')).toBe(
        'Redis Sentinel master "etml" with a password via 10.0.0.1:26379,10.0.0.2:26379 (sentinels with a password)',
      );
      expect(describeRedisTarget(redisTargetFrom(sentinelEnv) ?? '')).toBe(
        'Redis Sentinel master "etml" via 10.0.0.1:26379,10.0.0.2:26379',
      );
    });

    it('gives each client the password and user, and the sentinels their own password', () => {
      const cluster = createRedisClient(
        withKeyPrefix(
          redisTargetFrom({
            REDIS_CLUSTER_NODES: 'a:7000',
            REDIS_USERNAME: 'etml',
            REDIS_PASSWORD: password,
          }) ?? '',
          '{b}',
        ),
        { lazyConnect: true },
      );
      expect(
        'redisOptions' in cluster.options ? cluster.options.redisOptions : undefined,
      ).toMatchObject({ username: 'etml', password });
      expect(keyPrefixOf(cluster)).toBe('{b}');

      const sentinel = createRedisClient(
        redisTargetFrom({
          ...sentinelEnv,
          REDIS_PASSWORD: password,
          REDIS_SENTINEL_PASSWORD: sentinelPassword,
        }) ?? '',
        { lazyConnect: true },
      );
      expect(sentinel.options).toMatchObject({
        name: 'etml',
        password,
        sentinelPassword,
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
        ],
      });
      expect('username' in sentinel.options ? sentinel.options.username : undefined).toBeFalsy();
    });

    it('refuses a password variable that has no Sentinel or Cluster to apply to, never printing it', () => {
      const url = thrown(() =>
        redisTargetFrom({ REDIS_URL: 'redis://h:6379', REDIS_PASSWORD: password }),
      );
      expect(url).toMatch(/REDIS_PASSWORD .*put the password in REDIS_URL/);
      const alone = thrown(() => redisTargetFrom({ REDIS_PASSWORD: password }));
      expect(alone).toMatch(/REDIS_PASSWORD is set without REDIS_SENTINELS or REDIS_CLUSTER_NODES/);
      const user = thrown(() =>
        redisTargetFrom({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_USERNAME: 'etml' }),
      );
      expect(user).toMatch(/REDIS_USERNAME="etml" needs REDIS_PASSWORD/);
      const sentinels = thrown(() =>
        redisTargetFrom({
          REDIS_CLUSTER_NODES: 'a:7000',
          REDIS_PASSWORD: password,
          REDIS_SENTINEL_PASSWORD: sentinelPassword,
        }),
      );
      expect(sentinels).toMatch(/REDIS_SENTINEL_PASSWORD is set without REDIS_SENTINELS/);
      for (const message of [url, alone, user, sentinels]) {
        expect(message).not.toContain(password);
        expect(message).not.toContain(encodeURIComponent(password));
        expect(message).not.toContain(sentinelPassword);
      }
    });
  });
});
