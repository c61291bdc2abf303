import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive, probeTcp, terminate } from './net.ts';
import { isRedisAnswering, redisUrl, startRedisServer } from './redis.ts';
import { s3Endpoint, startS3Server } from './s3.ts';
import type { ServerHandle } from './server-process.ts';

/**
 * Embedded defaults for local runs: when REDIS_URL or S3_ENDPOINT/S3_BUCKET are unset, the
 * project runs its own redis-server and S3-API server, keeping data in `dataDir` (.data/). They
 * run in the background so every `etml` process on this machine shares them, like
 * `docker compose up -d`; `etml embedded down` stops them.
 *
 * `<kind>.json` records the server's port, and its pid while it runs. The port outlives a stop,
 * so a restarted server comes back where long-running workers expect it.
 */
interface ServerState {
  pid?: number;
  port: number;
}

type Kind = 'redis' | 's3';

const stateFile = (dataDir: string, kind: Kind) => join(dataDir, `${kind}.json`);

function readState(dataDir: string, kind: Kind): ServerState | undefined {
  const file = stateFile(dataDir, kind);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as ServerState;
    return Number.isInteger(state.port) ? state : undefined;
  } catch {
    return undefined;
  }
}

function writeState(dataDir: string, kind: Kind, state: ServerState): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(stateFile(dataDir, kind), `${JSON.stringify(state)}\n`);
}

const answers: Record<Kind, (port: number) => Promise<boolean>> = {
  redis: isRedisAnswering,
  s3: port =>
    probeTcp(port).then(
      () => true,
      () => false,
    ),
};

/** What each kind's command line contains, so a reused pid is never taken for our server. */
const COMMAND_MARK: Record<Kind, string> = { redis: 'redis-server', s3: 's3-server-main' };

function isOurs(pid: number, kind: Kind): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes(COMMAND_MARK[kind]);
  } catch {
    return false;
  }
}

async function running(dataDir: string, kind: Kind): Promise<Required<ServerState> | undefined> {
  const state = readState(dataDir, kind);
  if (state?.pid === undefined) return undefined;
  const { pid, port } = state;
  if (isProcessAlive(pid) && isOurs(pid, kind) && (await answers[kind](port))) return { pid, port };
  return undefined;
}

/**
 * Runs `fn` holding `<kind>.lock`, so commands started together neither start two servers on one
 * data directory nor lose track of one. A lock whose holder died is taken over.
 */
async function withLock<T>(dataDir: string, kind: Kind, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dataDir, { recursive: true });
  const lock = join(dataDir, `${kind}.lock`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let text: string;
      try {
        text = readFileSync(lock, 'utf8').trim();
      } catch {
        continue; // released meanwhile
      }
      // An empty lock is one being written; only a dead holder's lock is taken over.
      const holder = text === '' ? process.pid : Number(text);
      if (!isProcessAlive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock} is held by process ${holder}`);
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

export interface EmbeddedServer {
  url: string;
  port: number;
  pid: number;
  /** False when an earlier command had started it. */
  started: boolean;
  dir: string;
}

async function ensure(
  dataDir: string,
  kind: Kind,
  start: (port: number | undefined) => Promise<ServerHandle>,
  url: (port: number) => string,
): Promise<EmbeddedServer> {
  const dir = join(dataDir, kind);
  return withLock(dataDir, kind, async () => {
    const existing = await running(dataDir, kind);
    if (existing) return { ...existing, url: url(existing.port), started: false, dir };
    const previous = readState(dataDir, kind)?.port;
    const reusable =
      previous !== undefined && !(await answers[kind](previous)) ? previous : undefined;
    const server = await start(reusable);
    writeState(dataDir, kind, { pid: server.pid, port: server.port });
    return { pid: server.pid, port: server.port, url: url(server.port), started: true, dir };
  });
}

export interface EmbeddedRedisOptions {
  /** Install redis-server with apt-get when it is missing (the CLI does; tests never). */
  install?: boolean;
}

export function ensureEmbeddedRedis(
  dataDir: string,
  options: EmbeddedRedisOptions = {},
): Promise<EmbeddedServer> {
  return ensure(
    dataDir,
    'redis',
    port =>
      startRedisServer({
        dir: join(dataDir, 'redis'),
        detached: true,
        install: options.install ?? false,
        ...(port === undefined ? {} : { port }),
      }),
    redisUrl,
  );
}

export function ensureEmbeddedS3(dataDir: string, bucket: string): Promise<EmbeddedServer> {
  return ensure(
    dataDir,
    's3',
    port =>
      startS3Server({
        dir: join(dataDir, 's3'),
        buckets: [bucket],
        detached: true,
        ...(port === undefined ? {} : { port }),
      }),
    s3Endpoint,
  );
}

/** Stops the embedded servers; their data and ports stay. Returns what was stopped. */
export async function stopEmbedded(dataDir: string): Promise<Kind[]> {
  const stopped: Kind[] = [];
  for (const kind of ['redis', 's3'] as const) {
    await withLock(dataDir, kind, async () => {
      const state = await running(dataDir, kind);
      if (state) {
        await terminate(state.pid);
        stopped.push(kind);
      }
      const port = readState(dataDir, kind)?.port;
      if (port !== undefined) writeState(dataDir, kind, { port });
    });
  }
  return stopped;
}

export async function embeddedStatus(
  dataDir: string,
): Promise<Record<Kind, Required<ServerState> | undefined>> {
  return { redis: await running(dataDir, 'redis'), s3: await running(dataDir, 's3') };
}
