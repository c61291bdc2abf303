import { once } from 'node:events';
import type { Server } from 'node:http';
import { producerConnection } from '@etml/queues';
import { connectRedis, createLogger, onShutdown, waitForRedis } from '@etml/runtime';
import { Queue } from 'bullmq';
import { BOARD_PATH, createBoardApp, PIPELINE_QUEUES } from './app.ts';
import { loadEnv } from './env.ts';

/** The composition root: configuration, the queues, the HTTP server, and signal handling. */
export async function start(source: NodeJS.ProcessEnv = process.env): Promise<Server> {
  const log = createLogger('board');
  const env = loadEnv(source);
  const redis = await connectRedis(env.infra);
  await waitForRedis(redis.value, log);
  const connection = await producerConnection(redis.value);
  const queues = PIPELINE_QUEUES.map(name => new Queue(name, { connection }));
  for (const queue of queues) {
    queue.on('error', error =>
      log.error('queue error', { queue: queue.name, error: error.message }),
    );
  }
  const app = createBoardApp({ queues, redis: connection, auth: env.auth });
  const server = app.listen(env.port);
  await once(server, 'listening');
  if (!env.auth) log.error('BOARD_AUTH=off: the board is open to anyone who can reach it');
  log.info('ready', {
    url: `http://localhost:${env.port}${BOARD_PATH}`,
    redis: redis.description,
    auth: env.auth ? `basic (user ${env.auth.username})` : 'off',
  });
  onShutdown(async () => {
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
    await Promise.all(queues.map(q => q.close()));
    connection.disconnect();
  });
  return server;
}
