import { once } from 'node:events';
import { DependencyError } from '@etml/domain';
import { Redis } from 'ioredis';

/**
 * A connection for a Worker: commands wait through Redis outages instead of failing, as
 * BullMQ's blocking calls require (maxRetriesPerRequest null).
 */
export function workerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/**
 * A connection for a producer (CLI, scheduler): fails fast when Redis is down rather than
 * queueing commands in memory, and is ready when this resolves. A command line gives up after
 * three reconnections; a long-running service (`lasting`: the board) keeps reconnecting through
 * an outage of any length, 1, 2, 4… up to 30 s apart.
 */
export async function producerConnection(
  url: string,
  timeoutMs = 5_000,
  lasting = false,
): Promise<Redis> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: lasting
      ? times => Math.min(1_000 * 2 ** (times - 1), 30_000)
      : times => (times > 3 ? null : 200 * times),
  });
  let lastError: Error | undefined;
  redis.on('error', error => {
    lastError = error;
  });
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    await Promise.race([
      once(redis, 'ready', { signal: timeout }),
      once(redis, 'end', { signal: timeout }).then(() => {
        throw lastError ?? new Error('connection closed');
      }),
    ]);
    return redis;
  } catch (error) {
    redis.disconnect();
    const reason = lastError?.message ?? (error as Error).message;
    throw new DependencyError(`Redis is not reachable: ${reason}`, { cause: error });
  }
}
