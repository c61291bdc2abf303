import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { redisUrl, startRedisServer } from '@etml/embedded';
import { createObjectStore, type ObjectStore } from '@etml/storage';
import type { S3Target } from '@etml/testing';
import { onTestFinished } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '..');

/**
 * What every process a test starts gets before its own env. LOG_FORMAT=pretty: tests read the
 * text lines a person would (their stderr is a pipe, which would otherwise mean JSON).
 */
const CLEAN_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? tmpdir(),
  LOG_FORMAT: 'pretty',
};

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ./bin/etml as a user would, in a clean environment plus `env`. */
export function runEtml(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(ROOT, 'bin', 'etml'), args, {
      cwd: ROOT,
      env: { ...CLEAN_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => {
      stdout += chunk;
    });
    child.stderr.on('data', chunk => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', code => resolvePromise({ code, stdout, stderr }));
  });
}

/** A temporary folder, removed when the current test ends. */
export function tempDir(prefix = 'etml-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Env that points etml at a test's S3 bucket, with its own data dir so .data/ stays untouched. */
export function s3Env(s3: S3Target): Record<string, string> {
  return {
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    ETML_DATA_DIR: tempDir('etml-data-'),
  };
}

/**
 * Env for services that summarize with a fake LLM at `llmUrl`, on a test's bucket and `redis`,
 * with no request limit of their own.
 */
export function llmServicesEnv(s3: S3Target, redis: string, llmUrl: string) {
  return {
    ...s3Env(s3),
    REDIS_URL: redis,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: llmUrl,
    LLM_MAX_REQUESTS_PER_MINUTE: '100000',
  };
}

/**
 * A redis-server of the test's own, for tests that stop it, kill it or empty it: always on the
 * same port, so the services' REDIS_URL stays right. Stopped when the test ends.
 */
export async function ownRedisServer() {
  const dir = tempDir('etml-redis-');
  let server = await startRedisServer({ dir });
  const port = server.port;
  onTestFinished(() => server.stop());
  return {
    url: redisUrl(port),
    /** SIGTERM: Redis writes its AOF and exits. */
    stop: () => server.stop(),
    /** SIGKILL, as a crash or a lost machine; resolves once it is gone. */
    async kill() {
      const { pid } = server;
      process.kill(pid, 'SIGKILL');
      await waitFor('redis-server gone', 10_000, () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      });
    },
    /** Starts it again on its AOF, or `empty`: in a new folder, with no AOF and no RDB. */
    async start(options: { empty?: boolean } = {}) {
      server = await startRedisServer({ dir: options.empty ? tempDir('etml-redis-') : dir, port });
    },
  };
}

/** An ObjectStore on a test's bucket: no prefix, straight to the server, unless told otherwise. */
export function storeOf(
  s3: S3Target,
  options: { prefix?: string; endpoint?: string } = {},
): ObjectStore {
  return createObjectStore({
    bucket: s3.bucket,
    prefix: options.prefix ?? '',
    endpoint: options.endpoint ?? s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
  });
}

export interface Service {
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown handler runs, as when a machine dies. Resolves once it is gone. */
  kill(): Promise<void>;
}

/** Starts `./bin/etml <name>` as a background service, stopped when the test ends. */
export function startService(name: string, env: Record<string, string>): Service {
  const child = spawn(join(ROOT, 'bin', 'etml'), [name], {
    cwd: ROOT,
    env: { ...CLEAN_ENV, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', chunk => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>(resolvePromise => child.on('exit', resolvePromise));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  onTestFinished(async () => {
    await stop();
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { stderr: () => stderr, stop, kill };
}

/**
 * Polls `probe` until it gives a value other than undefined or false, and returns it; throws
 * naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** A local HTTP receiver that answers with the next of `statuses` (the last one repeats). */
export async function webhookReceiver(statuses: number[]) {
  const requests: { status: number; body: unknown; type: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => {
      body += chunk;
    });
    req.on('end', () => {
      const status = statuses[Math.min(requests.length, statuses.length - 1)] ?? 200;
      requests.push({ status, body: JSON.parse(body), type: req.headers['content-type'] });
      res.writeHead(status).end(status === 200 ? 'ok' : 'try later');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  onTestFinished(async () => {
    await new Promise(resolve => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/etml?token=secret`,
    requests,
    delivered: () => requests.filter(r => r.status === 200),
  };
}
