import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive, probeTcp, terminate } from './net.ts';
import { isRedisAnswering, redisUrl, startRedisServer } from './redis.ts';
import { s3Endpoint, startS3Server } from './s3.ts';

/**
 * Embedded defaults for local runs: when REDIS_URL or S3_ENDPOINT/S3_BUCKET are unset, the
 * project runs its own redis-server and S3-API server, keeping data in `dataDir` (.data/). They
 * run in the background so every `etml` process on this machine shares them, like
 * `docker compose up -d`; `etml embedded down` stops them.
 */
interface ServerState {
  pid: number;
  port: number;
}

type Kind = 'redis' | 's3';

const stateFile = (dataDir: string, kind: Kind) => join(dataDir, `${kind}.json`);

function readState(dataDir: string, kind: Kind): ServerState | undefined {
  const file = stateFile(dataDir, kind);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as ServerState;
    return Number.isInteger(state.pid) && Number.isInteger(state.port) ? state : undefined;
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

async function running(dataDir: string, kind: Kind): Promise<ServerState | undefined> {
  const state = readState(dataDir, kind);
  if (state && isProcessAlive(state.pid) && (await answers[kind](state.port))) return state;
  return undefined;
}

export interface EmbeddedServer {
  url: string;
  port: number;
  pid: number;
  /** False when an earlier command had started it. */
  started: boolean;
  dir: string;
}

export async function ensureEmbeddedRedis(dataDir: string): Promise<EmbeddedServer> {
  const dir = join(dataDir, 'redis');
  const existing = await running(dataDir, 'redis');
  if (existing) return { ...existing, url: redisUrl(existing.port), started: false, dir };
  const server = await startRedisServer({ dir, detached: true, install: true });
  writeState(dataDir, 'redis', { pid: server.pid, port: server.port });
  return { pid: server.pid, port: server.port, url: redisUrl(server.port), started: true, dir };
}

export async function ensureEmbeddedS3(dataDir: string, bucket: string): Promise<EmbeddedServer> {
  const dir = join(dataDir, 's3');
  const existing = await running(dataDir, 's3');
  if (existing) return { ...existing, url: s3Endpoint(existing.port), started: false, dir };
  const server = await startS3Server({ dir, buckets: [bucket], detached: true });
  writeState(dataDir, 's3', { pid: server.pid, port: server.port });
  return { pid: server.pid, port: server.port, url: s3Endpoint(server.port), started: true, dir };
}

/** Stops the embedded servers; their data stays in `dataDir`. Returns what was stopped. */
export async function stopEmbedded(dataDir: string): Promise<Kind[]> {
  const stopped: Kind[] = [];
  for (const kind of ['redis', 's3'] as const) {
    const state = readState(dataDir, kind);
    if (state && isProcessAlive(state.pid)) {
      await terminate(state.pid);
      stopped.push(kind);
    }
    rmSync(stateFile(dataDir, kind), { force: true });
  }
  return stopped;
}

export async function embeddedStatus(
  dataDir: string,
): Promise<Record<Kind, ServerState | undefined>> {
  return { redis: await running(dataDir, 'redis'), s3: await running(dataDir, 's3') };
}
