import { runService } from '@etml/runtime';
import { BOARD_PATH } from './app.ts';
import { isLoopback, loadEnv } from './env.ts';
import { serveBoard } from './serve.ts';

/** The composition root: the board on runService's Redis, until SIGTERM. */
export function start() {
  return runService({
    name: 'board',
    loadEnv,
    needsStore: true,
    start: async ({ env, log, redis, store }) => {
      const board = await serveBoard({
        redisUrl: redis.value,
        host: env.host,
        port: env.port,
        auth: env.auth,
        freshness: { store: store.value, deadline: env.deadline, tz: env.tz },
        log,
        store: store.value,
        scheduleTz: env.tz,
      });
      if (!env.auth && !isLoopback(env.host)) {
        log.warn(
          `BOARD_AUTH=off with BOARD_HOST=${env.host}: the board is open to anyone on the network who can reach port ${env.port}, and can retry, remove and add jobs; set BOARD_PASSWORD, or BOARD_HOST=127.0.0.1`,
        );
      } else if (!env.auth) {
        log.warn('BOARD_AUTH=off: the board is open to anyone on this machine');
      }
      return {
        ready: {
          url: `http://${urlHost(env.host)}:${env.port}${BOARD_PATH}`,
          redis: redis.description,
          s3: store.description,
          auth: env.auth ? `basic (user ${env.auth.username})` : 'off',
        },
        close: board.close,
      };
    },
  });
}

/** Where a browser on this machine finds the board: a wildcard address is not one to open. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
