import { runService } from '@etml/runtime';
import { loadEnv } from './env.ts';
import { createClusterWorker } from './worker.ts';

/** The composition root: the worker on runService's connections, until SIGTERM. */
export function start() {
  return runService({
    name: 'cluster-worker',
    loadEnv,
    needsStore: true,
    start: async ({ env, log, redis, store }) => {
      const { close } = createClusterWorker({
        redisUrl: redis.value,
        store: store.value,
        cluster: { eps: env.eps, minSamples: env.minSamples, maxShare: env.maxShare },
        rawWaitMs: env.rawWaitMs,
        worker: env.worker,
        alert: env.alertUrl ? { url: env.alertUrl } : undefined,
        log,
      });
      const dbscan =
        env.eps === undefined && env.minSamples === undefined
          ? 'volume-aware default'
          : `eps=${env.eps ?? 'default'} min_samples=${env.minSamples ?? 'default'}`;
      return {
        ready: {
          redis: redis.description,
          s3: store.description,
          dbscan,
          anomalyMaxShare: env.maxShare ?? 'none',
          rawWaitMinutes: env.rawWaitMs / 60_000,
          alerts: env.alertUrl ? new URL(env.alertUrl).host : 'off',
        },
        close,
      };
    },
  });
}
