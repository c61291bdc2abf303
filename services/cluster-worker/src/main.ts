import { connectRedis, connectStore, createLogger, onShutdown, waitForRedis } from '@etml/runtime';
import { loadEnv } from './env.ts';
import { createClusterWorker } from './worker.ts';

/** The composition root: configuration, connections, the worker, and signal handling. */
export async function start(source: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = createLogger('cluster-worker');
  const env = loadEnv(source);
  const redis = await connectRedis(env.infra);
  await waitForRedis(redis.value, log);
  const store = await connectStore(env.infra);
  const { close } = createClusterWorker({
    redisUrl: redis.value,
    store: store.value,
    cluster: { eps: env.eps, minSamples: env.minSamples },
    rawWaitMs: env.rawWaitMs,
    worker: env.worker,
    log,
  });
  log.info('ready', {
    redis: redis.description,
    s3: store.description,
    dbscan:
      env.eps === undefined && env.minSamples === undefined
        ? 'volume-aware default'
        : `eps=${env.eps ?? 'default'} min_samples=${env.minSamples ?? 'default'}`,
    rawWaitMinutes: env.rawWaitMs / 60_000,
  });
  onShutdown(close);
}
