import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DependencyError } from '@etml/domain';
import { isProcessAlive, terminate, waitUntil } from './net.ts';

export interface ServerHandle {
  readonly pid: number;
  readonly port: number;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

export interface SpawnServerOptions {
  name: string;
  command: string;
  args: string[];
  port: number;
  /** Resolves true once the server answers. */
  ready: () => Promise<boolean>;
  /**
   * Outlives this process (the embedded default for local runs), writing to `logFile`.
   * Otherwise the server dies with this process (tests).
   */
  detached?: { logFile: string };
  startTimeoutMs?: number;
}

/**
 * Starts a server process and waits until it answers. A server that exits early fails with its
 * own output, so a bad flag or a taken port reads as what it is.
 */
function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

export async function spawnServer(options: SpawnServerOptions): Promise<ServerHandle> {
  let child: ChildProcess;
  let output = '';
  if (options.detached) {
    mkdirSync(dirname(options.detached.logFile), { recursive: true });
    const log = openSync(options.detached.logFile, 'a');
    child = spawn(options.command, options.args, { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
  } else {
    child = spawn(options.command, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }
  const exited = new Promise<never>((_, reject) => {
    child.once('error', error =>
      reject(
        new DependencyError(
          `${options.name}: could not start ${options.command}: ${error.message}`,
        ),
      ),
    );
    child.once('exit', code => {
      const said = options.detached ? logTail(options.detached.logFile) : output.trim();
      const where = options.detached ? ` (log: ${options.detached.logFile})` : '';
      reject(
        new DependencyError(
          `${options.name} exited with code ${code} before it was ready${where}${said ? `: ${said}` : ''}`,
        ),
      );
    });
  });
  exited.catch(() => {});
  const pid = child.pid;
  try {
    await Promise.race([
      exited,
      waitUntil(options.ready, options.startTimeoutMs ?? 20_000, options.name),
    ]);
  } catch (error) {
    if (pid !== undefined && isProcessAlive(pid)) await terminate(pid);
    throw error;
  }
  if (pid === undefined) throw new DependencyError(`${options.name}: no process id`);
  child.removeAllListeners('exit');
  return { pid, port: options.port, stop: () => terminate(pid) };
}
