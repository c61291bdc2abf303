import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DependencyError } from '@etml/domain';
import { getFreePort, LOCALHOST, probeTcp } from './net.ts';
import { type ServerHandle, spawnServer } from './server-process.ts';

export const REDIS_INSTALL_HELP = [
  'redis-server (Redis 6.2 or newer) is not installed. Get it with one of:',
  '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y redis-server',
  '  macOS:         brew install redis',
  '  Docker:        docker compose up -d redis   (then set REDIS_URL=redis://localhost:6379)',
].join('\n');

/** redis-server's path on `searchPath` (PATH by default), or undefined. */
export function findRedisServer(searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    const candidate = join(dir || '.', 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function canAptInstall(): boolean {
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    existsSync('/etc/debian_version') &&
    spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

/**
 * The redis-server binary. Installs it with apt-get where that is possible without asking
 * (Debian or Ubuntu, as root); anywhere else, fails with how to get it.
 */
export function ensureRedisServerBinary(options: {
  install: boolean;
  searchPath?: string;
}): string {
  const existing = findRedisServer(options.searchPath);
  if (existing) return existing;
  if (options.install && canAptInstall()) {
    process.stderr.write('redis-server is missing; installing it with apt-get\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-qq'],
      ['install', '-y', '-qq', 'redis-server'],
    ]) {
      const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
      if (result.status !== 0) {
        throw new DependencyError(`apt-get ${args.join(' ')} failed\n${REDIS_INSTALL_HELP}`);
      }
    }
    const installed = findRedisServer(options.searchPath);
    if (installed) return installed;
  }
  throw new DependencyError(REDIS_INSTALL_HELP);
}

export interface StartRedisOptions {
  /** Holds the append-only file; reusing it keeps the data across restarts. */
  dir: string;
  port?: number;
  detached?: boolean;
  /** Installs redis-server with apt-get when missing (local runs only, never in tests). */
  install?: boolean;
  /** More redis-server flags, e.g. `--replicaof` or `--cluster-enabled` (tests of topologies). */
  args?: string[];
}

export async function isRedisAnswering(port: number): Promise<boolean> {
  return (await probeTcp(port, 'PING\r\n').catch(() => '')).startsWith('+PONG');
}

/**
 * A real redis-server on 127.0.0.1, configured as BullMQ needs it: AOF persistence, so a crash
 * loses at most a second of queue state, and `noeviction`, so Redis never drops job keys.
 */
export async function startRedisServer(options: StartRedisOptions): Promise<ServerHandle> {
  const binary = ensureRedisServerBinary({ install: options.install ?? false });
  const port = options.port ?? (await getFreePort());
  mkdirSync(options.dir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--bind',
    LOCALHOST,
    '--dir',
    options.dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--daemonize',
    'no',
    ...(options.args ?? []),
  ];
  return spawnServer({
    name: `redis-server on port ${port}`,
    command: binary,
    args,
    port,
    ready: () => isRedisAnswering(port),
    ...(options.detached ? { detached: { logFile: join(options.dir, 'redis.log') } } : {}),
  });
}

export interface StartSentinelOptions {
  /** Holds the sentinel's config file, which the sentinel rewrites as it learns. */
  dir: string;
  /** The master to watch: its name, its port on 127.0.0.1, and the quorum. */
  monitor: { name: string; port: number; quorum: number };
  /** How long a master stays silent before it counts as down; short in tests. */
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

/** A redis-server in Sentinel mode on 127.0.0.1, watching one master. */
export async function startRedisSentinel(options: StartSentinelOptions): Promise<ServerHandle> {
  const binary = ensureRedisServerBinary({ install: false });
  const port = await getFreePort();
  mkdirSync(options.dir, { recursive: true });
  const { name, port: masterPort, quorum } = options.monitor;
  const config = join(options.dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      `bind ${LOCALHOST}`,
      `dir ${options.dir}`,
      `sentinel monitor ${name} ${LOCALHOST} ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5_000}`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  return spawnServer({
    name: `redis sentinel on port ${port}`,
    command: binary,
    args: [config, '--sentinel'],
    port,
    ready: () => isRedisAnswering(port),
  });
}

export function redisUrl(port: number): string {
  return `redis://${LOCALHOST}:${port}`;
}
