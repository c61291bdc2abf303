import { runService } from '@etml/runtime';
import { BOARD_PATH } from './app.ts';
import { loadEnv } from './env.ts';
import { serveBoard } from './serve.ts';

/** The composition root: the board on runService's Redis, until SIGTERM. */
export function start() {
  return runService({
    name: 'board',
    loadEnv,
    start: async ({ env, log, redis }) => {
      const board = await serveBoard({
        redisUrl: redis.value,
        port: env.port,
        auth: env.auth,
        log,
      });
      if (!env.auth) log.error('BOARD_AUTH=off: the board is open to anyone who can reach it');
      return {
        ready: {
          url: `http://localhost:${env.port}${BOARD_PATH}`,
          redis: redis.description,
          auth: env.auth ? `basic (user ${env.auth.username})` : 'off',
        },
        close: board.close,
      };
    },
  });
}
