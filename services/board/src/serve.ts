import { once } from 'node:events';
import type { Server } from 'node:http';
import { type AddressInfo, createServer, type Server as NetServer } from 'node:net';
import { ConfigError } from '@etml/domain';
import { producerConnection, queueOptions, reportRedisError } from '@etml/queues';
import { closeOnce, type Logger } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { Queue } from 'bullmq';
import { createBoardApp, PIPELINE_QUEUES } from './app.ts';
import type { FreshnessOptions } from './freshness.ts';

export interface ServeBoardOptions {
  redisUrl: string;
  host: string;
  port: number;
  /** null: no authentication (BOARD_AUTH=off). */
  auth: { username: string; password: string } | null;
  /** S3 and the deadline, for /metrics' freshness gauges. */
  freshness?: FreshnessOptions | undefined;
  log: Logger;
  /** Where the outputs are, for /reports/; without it the board serves no reports. */
  store?: ObjectStore;
  scheduleTz?: string;
}

/** The board app over the pipeline queues, listening on `port` until close(). */
export async function serveBoard(options: ServeBoardOptions) {
  const { log } = options;
  // Lasting: the board outlives any Redis outage, while /healthz answers 503 at once.
  const connection = await producerConnection(options.redisUrl, 5_000, true);
  const queues = PIPELINE_QUEUES.map(name => new Queue(name, queueOptions(connection)));
  for (const queue of queues) {
    queue.on('error', error => reportRedisError(log, { queue: queue.name }, error));
  }
  const app = createBoardApp({
    queues,
    redis: connection,
    auth: options.auth,
    freshness: options.freshness,
    ...(options.store
      ? { reports: { store: options.store, scheduleTz: options.scheduleTz ?? 'UTC' } }
      : {}),
  });
  const closeQueues = async () => {
    await Promise.all(queues.map(q => q.close()));
    connection.disconnect();
  };
  let server: Server;
  try {
    server = await listening(app.listen(options.port, options.host), options.host, options.port);
  } catch (error) {
    await closeQueues();
    throw error;
  }
  return {
    /** Where it listens, as the OS bound it. */
    address: () => server.address() as AddressInfo,
    close: closeOnce(async () => {
      // Open keep-alive connections would hold server.close() until they time out.
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      await closeQueues();
    }),
  };
}

type Where = { host: string; port: number };
const LISTEN_PROBLEMS: Record<string, (where: Where) => string> = {
  EADDRINUSE: ({ host, port }) =>
    `BOARD_PORT ${port} is already in use on BOARD_HOST ${host}; set BOARD_PORT to a free port`,
  EACCES: ({ host, port }) =>
    `BOARD_PORT ${port} needs privileges on BOARD_HOST ${host}; set BOARD_PORT above 1023`,
  EADDRNOTAVAIL: ({ host }) => `BOARD_HOST ${host} is not an address of this machine`,
  ENOTFOUND: ({ host }) => `BOARD_HOST ${host} does not resolve to an address`,
  EAI_AGAIN: ({ host }) => `BOARD_HOST ${host} does not resolve to an address`,
};

/** `server` once listening, or a ConfigError naming BOARD_HOST or BOARD_PORT and the value. */
async function listening<S extends NetServer>(server: S, host: string, port: number): Promise<S> {
  try {
    await once(server, 'listening');
    return server;
  } catch (error) {
    const problem = LISTEN_PROBLEMS[(error as NodeJS.ErrnoException).code ?? ''];
    if (!problem) throw error;
    throw new ConfigError([problem({ host, port })]);
  }
}

/**
 * Throws the ConfigError serveBoard would if it cannot listen on host:port, so that `etml start`
 * refuses before it starts anything.
 */
export async function checkBoardAddress(host: string, port: number): Promise<void> {
  const server = await listening(createServer().listen(port, host), host, port);
  await new Promise(resolve => server.close(resolve));
}
