/**
 * Processes and servers for the benchmarks that run the pipeline as production runs it: a real
 * redis-server, the S3-API server, and `etml` services as separate processes, all stopped at
 * clean-up even when a benchmark fails half way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  redisUrl,
  S3RVER_CREDENTIALS,
  s3Endpoint,
  startRedisServer,
  startS3Server,
} from '@etml/embedded';
import { producerConnection } from '@etml/queues';
import { createObjectStore, type ObjectStore } from '@etml/storage';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ETML = join(ROOT, 'bin', 'etml');

/** Stops everything started, newest first, even when the benchmark fails half way. */
export const cleanups: (() => Promise<unknown>)[] = [];

/** Runs the clean-ups registered after the first `keep`, newest first. */
export async function cleanUp(keep = 0): Promise<void> {
  for (let stop = cleanups.length > keep ? cleanups.pop() : undefined; stop; ) {
    try {
      await stop();
    } catch (error) {
      process.stderr.write(`clean-up: ${(error as Error).message}\n`);
    }
    stop = cleanups.length > keep ? cleanups.pop() : undefined;
  }
}

export interface Proc {
  label: string;
  pid: number;
  ready: Promise<void>;
  stderr(): string;
  /** SIGTERM (SIGKILL after 30 s, past the services' 25 s grace), then the exit code. */
  stop(): Promise<number | null>;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function spawnProcess(
  label: string,
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  readyWhen: RegExp,
): Proc {
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let isReady = false;
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} not ready after 60 s:\n${tail(stderr)}`)),
      60_000,
    );
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!isReady && readyWhen.test(stderr)) {
        isReady = true;
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with code ${code} before it was ready:\n${tail(stderr)}`));
    });
  });
  ready.catch(() => {});
  const proc: Proc = {
    label,
    pid: child.pid ?? -1,
    ready,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
        const code = await exited;
        clearTimeout(kill);
        return code;
      }
      return child.exitCode;
    },
  };
  return proc;
}

export interface Infra {
  redisUrl: string;
  redisPid: number;
  s3Pid: number;
  store: ObjectStore;
  /** What an etml service needs to reach these servers. */
  env: Record<string, string>;
  connection: Awaited<ReturnType<typeof producerConnection>>;
  procs: Proc[];
  /** Exit codes of stopped services that did not exit 0. */
  exits: string[];
}

/** A fresh redis-server and S3-API server with a bucket, under `dir`. */
/** An S3-API server under `dir` with the benchmark's bucket, stopped at clean-up. */
export async function startS3(dir: string) {
  const s3 = await startS3Server({ dir: join(dir, 's3') });
  cleanups.push(() => s3.stop());
  const settings = {
    bucket: 'etml-bench',
    prefix: '',
    endpoint: s3Endpoint(s3.port),
    region: 'us-east-1',
    credentials: { ...S3RVER_CREDENTIALS },
  };
  const store = createObjectStore(settings);
  await store.ensureBucket();
  // What ./bin/etml reads to reach this server, with its own data dir under `dir`.
  const env = {
    S3_ENDPOINT: settings.endpoint,
    S3_BUCKET: settings.bucket,
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: settings.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: settings.credentials.secretAccessKey,
    ETML_DATA_DIR: join(dir, 'data'),
  };
  return { store, settings, env, pid: s3.pid };
}

export async function startInfra(dir: string): Promise<Infra> {
  const redis = await startRedisServer({ dir: join(dir, 'redis') });
  cleanups.push(() => redis.stop());
  const { store, env: s3Env, pid: s3Pid } = await startS3(dir);
  const url = redisUrl(redis.port);
  const connection = await producerConnection(url);
  cleanups.push(async () => connection.disconnect());
  return {
    redisUrl: url,
    redisPid: redis.pid,
    s3Pid,
    store,
    env: { REDIS_URL: url, ...s3Env },
    connection,
    procs: [],
    exits: [],
  };
}

/** Starts processes and waits until each says it is ready; they are stopped at clean-up. */
export async function startProcs(infra: Infra, procs: Proc[]): Promise<void> {
  for (const proc of procs) {
    infra.procs.push(proc);
    cleanups.push(async () => {
      const code = await proc.stop();
      if (code !== 0) infra.exits.push(`${proc.label} (pid ${proc.pid}) exited with ${code}`);
    });
  }
  await Promise.all(procs.map(p => p.ready));
}

export function etmlService(name: string, label: string, env: Record<string, string>): Proc {
  return spawnProcess(label, ETML, [name], env, / INFO \S+ ready/);
}
