/**
 * Processes and servers for the benchmarks that run the pipeline as production runs it: a real
 * redis-server, the S3-API server, and `etml` services as separate processes, all stopped at
 * clean-up even when a benchmark fails half way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
export const ETML = join(ROOT, 'bin', 'etml');

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

/**
 * A temporary directory for a benchmark's servers and data, removed at clean-up, and Ctrl-C or
 * SIGTERM wired to clean up before exiting (130).
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return dir;
}

export interface Proc {
  label: string;
  pid: number;
  ready: Promise<void>;
  stderr(): string;
  /** Standard output, kept too: a logger may write there (pino's default is stdout). */
  stdout(): string;
  /** SIGTERM (SIGKILL after 30 s, past the services' 25 s grace), then the exit code. */
  stop(): Promise<number | null>;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The last lines a process wrote on each stream, for an error message. */
export function lastLines(proc: Pick<Proc, 'stderr' | 'stdout'>): string {
  const stdout = proc.stdout();
  return `${tail(proc.stderr())}${stdout.trim() ? `\n--- stdout:\n${tail(stdout)}` : ''}`;
}

/** The environment a spawned process gets: only PATH and HOME of ours, then `env`. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env };
}

/** Terminal colours, which a pretty logger may add (ESC [ … m). */
const COLOURS = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const plain = (line: string) => line.replace(COLOURS, '');

/** A JSON log line (pino's), or undefined for any other line. */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object'
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * A log line's level in either format the services write: a pretty line's level word, or a JSON
 * line's `level` (pino's numbers, 50 and up being error, or a name).
 */
export function logLevel(line: string): Level | undefined {
  const json = jsonLine(line);
  if (json) {
    const level = json.level;
    if (typeof level === 'number') {
      return level >= 50 ? 'error' : level >= 40 ? 'warn' : level >= 30 ? 'info' : 'debug';
    }
    const name = typeof level === 'string' ? level.toLowerCase() : '';
    if (name === 'fatal') return 'error';
    return ['debug', 'info', 'warn', 'error'].includes(name) ? (name as Level) : undefined;
  }
  const word = /\b(DEBUG|INFO|WARN|ERROR|FATAL)\b/.exec(plain(line))?.[1];
  return word === undefined
    ? undefined
    : word === 'FATAL'
      ? 'error'
      : (word.toLowerCase() as Level);
}

/**
 * An etml service's `ready` line, pretty (`… INFO cluster-worker ready …`, with the name in
 * brackets or parentheses too) or JSON (pino's `msg`).
 */
export function isReadyLine(line: string): boolean {
  const json = jsonLine(line);
  if (json) return json.msg === 'ready' || json.message === 'ready';
  return /\bINFO\b\W+[\w./-]+\W*\sready(?=\s|$)/.test(plain(line));
}

/** Every line a process wrote, standard error's then standard output's. */
export function logLines(proc: Proc): string[] {
  return [...proc.stderr().split('\n'), ...proc.stdout().split('\n')].filter(l => l !== '');
}

export function spawnProcess(
  label: string,
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  readyWhen: RegExp | ((line: string) => boolean),
): Proc {
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const matches = typeof readyWhen === 'function' ? readyWhen : (l: string) => readyWhen.test(l);
  const output = { stdout: '', stderr: '' };
  let isReady = false;
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const both = () => lastLines({ stderr: () => output.stderr, stdout: () => output.stdout });
    const timer = setTimeout(
      () => reject(new Error(`${label} not ready after 60 s:\n${both()}`)),
      60_000,
    );
    // The ready line may come on either stream; only whole lines are matched.
    const watch = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      const from = output[stream].lastIndexOf('\n') + 1;
      output[stream] += chunk;
      if (isReady) return;
      const lines = output[stream].slice(from).split('\n').slice(0, -1);
      if (lines.some(matches)) {
        isReady = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.setEncoding('utf8').on('data', watch('stdout'));
    child.stderr?.setEncoding('utf8').on('data', watch('stderr'));
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with code ${code} before it was ready:\n${both()}`));
    });
  });
  ready.catch(() => {});
  const proc: Proc = {
    label,
    pid: child.pid ?? -1,
    ready,
    stderr: () => output.stderr,
    stdout: () => output.stdout,
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
  return spawnProcess(label, ETML, [name], env, isReadyLine);
}
