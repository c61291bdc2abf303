import { connectRedis, connectStore, createLogger, onShutdown, waitForRedis } from '@etml/runtime';
import { loadEnv } from './env.ts';
import { createScheduler } from './scheduler.ts';

/** The composition root: configuration, connections, the schedule, and signal handling. */
export async function start(source: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = createLogger('scheduler');
  const env = loadEnv(source);
  const redis = await connectRedis(env.infra);
  await waitForRedis(redis.value, log);
  const store = await connectStore(env.infra);
  const scheduler = await createScheduler({
    redisUrl: redis.value,
    store: store.value,
    pattern: env.pattern,
    tz: env.tz,
    catchUpDays: env.catchUpDays,
    log,
  });
  log.info('ready', {
    redis: redis.description,
    s3: store.description,
    cron: env.pattern,
    tz: env.tz,
    catchUpDays: env.catchUpDays,
    caughtUp: scheduler.caughtUp.join(',') || 'nothing missing',
  });
  onShutdown(() => scheduler.close());
}
