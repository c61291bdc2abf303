import { once } from 'node:events';
import { producerConnection } from '@etml/queues';
import { closeOnce, type Logger } from '@etml/runtime';
import { Queue } from 'bullmq';
import { createBoardApp, PIPELINE_QUEUES } from './app.ts';

export interface ServeBoardOptions {
  redisUrl: string;
  port: number;
  /** null: no authentication (BOARD_AUTH=off). */
  auth: { username: string; password: string } | null;
  log: Logger;
}

/** The board app over the pipeline queues, listening on `port` until close(). */
export async function serveBoard(options: ServeBoardOptions) {
  const { log } = options;
  const connection = await producerConnection(options.redisUrl);
  const queues = PIPELINE_QUEUES.map(name => new Queue(name, { connection }));
  for (const queue of queues) {
    queue.on('error', error =>
      log.error('queue error', { queue: queue.name, error: error.message }),
    );
  }
  const app = createBoardApp({ queues, redis: connection, auth: options.auth });
  const server = app.listen(options.port);
  await once(server, 'listening');
  return {
    close: closeOnce(async () => {
      // Open keep-alive connections would hold server.close() until they time out.
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      await Promise.all(queues.map(q => q.close()));
      connection.disconnect();
    }),
  };
}
