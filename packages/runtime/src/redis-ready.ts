import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, type Logger } from '@etml/domain';
import {
  checkRedisTarget,
  createRedisClient,
  describeRedisTarget,
  ONE_ATTEMPT,
  type RedisTarget,
} from './redis-target.ts';

/**
 * One attempt to reach Redis; resolves with its maxmemory-policy, read from INFO (CONFIG GET is
 * disabled on ElastiCache and Upstash). BullMQ loses jobs under any policy but noeviction.
 */
export async function redisEvictionPolicy(target: RedisTarget): Promise<string> {
  await checkRedisTarget(target);
  const client = createRedisClient(target, ONE_ATTEMPT);
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('memory');
    return /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

/**
 * Waits for Redis at start instead of crashing into a restart loop: each failure is logged with
 * its reason and retried after 1, 2, 4… up to 30 s. A Redis that may evict keys gets a loud
 * warning, since BullMQ loses jobs under any policy but noeviction. A Sentinel master name the
 * sentinels do not know fails at once (ConfigError).
 */
export async function waitForRedis(
  target: RedisTarget,
  log: Logger,
  options: { firstDelayMs?: number; maxDelayMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const where = describeRedisTarget(target);
  let delay = options.firstDelayMs ?? 1_000;
  for (;;) {
    try {
      const policy = await redisEvictionPolicy(target);
      if (policy !== 'noeviction') {
        log.error(
          `Redis at ${where} has maxmemory-policy ${policy}: set it to noeviction, or Redis may drop queued jobs`,
        );
      }
      return;
    } catch (error) {
      // A master name no sentinel knows stays unknown: retrying would only hide it.
      if (error instanceof ConfigError) throw error;
      log.error(`Redis at ${where} is not reachable; retrying`, {
        error: (error as Error).message,
        retryInSeconds: delay / 1_000,
      });
    }
    await sleep(delay, undefined, { signal: options.signal });
    delay = Math.min(delay * 2, options.maxDelayMs ?? 30_000);
  }
}
