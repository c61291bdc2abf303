import { runService } from '@etml/runtime';
import { loadEnv } from './env.ts';
import { createScheduler } from './scheduler.ts';

/** The composition root: the schedule on runService's connections, until SIGTERM. */
export function start() {
  return runService({
    name: 'scheduler',
    loadEnv,
    needsStore: true,
    start: async ({ env, log, redis, store }) => {
      const scheduler = await createScheduler({
        redisUrl: redis.value,
        store: store.value,
        pattern: env.pattern,
        tz: env.tz,
        catchUpDays: env.catchUpDays,
        healMs: env.healMs,
        deadline: env.deadline,
        alert: env.alertUrl ? { url: env.alertUrl } : undefined,
        log,
      });
      return {
        ready: {
          redis: redis.description,
          s3: store.description,
          cron: env.pattern,
          tz: env.tz,
          catchUpDays: env.catchUpDays,
          healSeconds: env.healMs / 1_000,
          caughtUp: scheduler.caughtUp.join(',') || 'nothing missing',
          reportDeadline: !env.deadline
            ? 'off'
            : env.alertUrl
              ? `${env.deadline} ${env.tz}`
              : `${env.deadline} ${env.tz}, no webhook: no late alerts (the board's etml_day_late still shows it)`,
        },
        close: scheduler.close,
      };
    },
  });
}
