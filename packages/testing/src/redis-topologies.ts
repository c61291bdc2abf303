import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  findRedisServer,
  LOCALHOST,
  type ServerHandle,
  startRedisSentinel,
  startRedisServer,
  waitUntil,
} from '@etml/embedded';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `etml-${name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A server this test started, stopped when it ends (before its folder goes). */
async function started(server: Promise<ServerHandle>): Promise<ServerHandle> {
  const handle = await server;
  onTestFinished(() => handle.stop());
  return handle;
}

/** A server on loopback: its port, or its port and `requirepass`. */
export type RedisServerAddress = number | { port: number; password: string };

/** One command to the server on `server`, on a connection of its own. */
export async function redisCommand(
  server: RedisServerAddress,
  ...args: (string | number)[]
): Promise<unknown> {
  const address = typeof server === 'number' ? { port: server } : server;
  const client = new Redis({
    host: LOCALHOST,
    ...address,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    client.disconnect();
  }
}

export interface SentinelGroup {
  /** The master name the sentinels monitor. */
  name: string;
  primary: ServerHandle;
  replica: ServerHandle;
  sentinels: ServerHandle[];
  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME for the services. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /** The port the sentinels give for the master now. */
  masterPort(): Promise<number>;
}

/**
 * A primary, a replica of it and `sentinels` sentinels (quorum 2) on loopback, stopped when the
 * test ends. Resolves once the replica is in sync and every sentinel knows the replica and the
 * other sentinels, so a failover can happen as soon as the primary dies.
 */
export async function startSentinelGroup(
  options: { sentinels?: number } = {},
): Promise<SentinelGroup> {
  const name = 'etml';
  const count = options.sentinels ?? 3;
  const primary = await started(startRedisServer({ dir: tempDir('primary') }));
  const replica = await started(
    startRedisServer({
      dir: tempDir('replica'),
      args: ['--replicaof', LOCALHOST, String(primary.port)],
    }),
  );
  await waitUntil(
    async () =>
      /master_link_status:up/.test(String(await redisCommand(replica.port, 'INFO', 'replication'))),
    20_000,
    'the replica in sync',
  );
  const sentinels: ServerHandle[] = [];
  for (let i = 0; i < count; i++) {
    sentinels.push(
      await started(
        startRedisSentinel({
          dir: tempDir('sentinel'),
          monitor: { name, port: primary.port, quorum: Math.min(2, count) },
        }),
      ),
    );
  }
  for (const sentinel of sentinels) {
    await waitUntil(
      async () => {
        const replicas = (await redisCommand(
          sentinel.port,
          'SENTINEL',
          'REPLICAS',
          name,
        )) as unknown[];
        const peers = (await redisCommand(
          sentinel.port,
          'SENTINEL',
          'SENTINELS',
          name,
        )) as unknown[];
        return replicas.length === 1 && peers.length === count - 1;
      },
      30_000,
      `the sentinel on port ${sentinel.port} knowing the replica and its peers`,
    );
  }
  return {
    name,
    primary,
    replica,
    sentinels,
    env: {
      REDIS_SENTINELS: sentinels.map(s => `${LOCALHOST}:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: name,
    },
    async masterPort() {
      const [, port] = (await redisCommand(
        sentinels[0]?.port ?? 0,
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        name,
      )) as [string, string];
      return Number(port);
    },
  };
}

export interface RedisCluster {
  nodes: ServerHandle[];
  /** Each node's address for redisCommand, with the password when there is one. */
  addresses: RedisServerAddress[];
  /** REDIS_CLUSTER_NODES (and REDIS_PASSWORD) for the services. */
  env: { REDIS_CLUSTER_NODES: string; REDIS_PASSWORD?: string };
}

/**
 * A Redis Cluster of `masters` masters and no replicas on loopback, made with
 * `redis-cli --cluster create`, stopped when the test ends. Resolves once every node says the
 * cluster is ok. With `password`, every node requires it (`requirepass`, and `masterauth` for
 * the links between nodes), set once the node answers: startRedisServer's readiness probe is an
 * unauthenticated PING.
 */
export async function startRedisCluster(
  masters = 3,
  options: { password?: string } = {},
): Promise<RedisCluster> {
  const { password } = options;
  const nodes: ServerHandle[] = [];
  for (let i = 0; i < masters; i++) {
    const dir = tempDir('cluster-node');
    nodes.push(
      await started(
        startRedisServer({
          dir,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-node-timeout',
            '5000',
          ],
        }),
      ),
    );
  }
  if (password !== undefined) {
    for (const node of nodes) {
      await redisCommand(node.port, 'CONFIG', 'SET', 'masterauth', password);
      await redisCommand(node.port, 'CONFIG', 'SET', 'requirepass', password);
    }
  }
  const servers: RedisServerAddress[] = nodes.map(node =>
    password === undefined ? node.port : { port: node.port, password },
  );
  const addresses = nodes.map(node => `${LOCALHOST}:${node.port}`);
  const cli = join(dirname(findRedisServer() ?? 'redis-server'), 'redis-cli');
  await promisify(execFile)(cli, [
    ...(password === undefined ? [] : ['-a', password, '--no-auth-warning']),
    '--cluster',
    'create',
    ...addresses,
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  for (const [i, node] of nodes.entries()) {
    await waitUntil(
      async () =>
        /cluster_state:ok/.test(
          String(await redisCommand(servers[i] ?? node.port, 'CLUSTER', 'INFO')),
        ),
      30_000,
      `the cluster node on port ${node.port}`,
    );
  }
  return {
    nodes,
    addresses: servers,
    env: {
      REDIS_CLUSTER_NODES: addresses.join(','),
      ...(password === undefined ? {} : { REDIS_PASSWORD: password }),
    },
  };
}
