import { once } from 'node:events';
import { DependencyError } from '@etml/domain';
import {
  checkRedisTarget,
  createRedisClient,
  keyPrefixOf,
  queueTelemetry,
  type RedisClient,
  type RedisTarget,
} from '@etml/runtime';
import type { Telemetry } from 'bullmq';

/**
 * A connection for a Worker: commands wait through Redis outages instead of failing, as
 * BullMQ's blocking calls require (maxRetriesPerRequest null).
 */
export function workerConnection(target: RedisTarget): RedisClient {
  return createRedisClient(target, { maxRetriesPerRequest: null });
}

/**
 * A connection for a producer (CLI, scheduler): fails fast when Redis is down rather than
 * queueing commands in memory, and is ready when this resolves. A Sentinel master name the
 * sentinels do not know is a ConfigError. A command line gives up after three reconnections; a
 * long-running service (`lasting`: the board) keeps reconnecting through an outage of any
 * length, 1, 2, 4… up to 30 s apart.
 */
export async function producerConnection(
  target: RedisTarget,
  timeoutMs = 5_000,
  lasting = false,
): Promise<RedisClient> {
  await checkRedisTarget(target);
  const redis = createRedisClient(target, {
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

/**
 * Options for a Queue, Worker, QueueEvents or FlowProducer on `connection`: every key under its
 * target's hash-tagged prefix (`{etml}` unless REDIS_PREFIX says otherwise), never BullMQ's
 * default `bull`, so each queue lives in one Cluster slot and all queues in the same one. With
 * tracing on, BullMQ's telemetry too: every producer and worker passes a job's trace context on.
 */
export function queueOptions(connection: RedisClient): {
  connection: RedisClient;
  prefix: string;
  telemetry?: Telemetry;
} {
  const telemetry = queueTelemetry();
  return { connection, prefix: keyPrefixOf(connection), ...(telemetry ? { telemetry } : {}) };
}
