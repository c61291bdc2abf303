import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-target.ts';

// Release or renew only while the lock is still ours: an expired one may be someone else's now.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** A Redis lock (SET NX PX) that expires by itself if its holder dies. */
export interface RedisLock {
  release(): Promise<void>;
  renew(ttlMs: number): Promise<void>;
}

/** Takes the lock, or returns undefined when someone else holds it. */
export async function tryLock(
  redis: RedisClient,
  key: string,
  ttlMs: number,
): Promise<RedisLock | undefined> {
  const token = randomUUID();
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
  return {
    release: async () => {
      await redis.eval(RELEASE, 1, key, token);
    },
    renew: async (ms: number) => {
      await redis.eval(RENEW, 1, key, token, ms);
    },
  };
}
