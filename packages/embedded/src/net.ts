import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOCALHOST = '127.0.0.1';

/** A TCP port that was free a moment ago. */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, LOCALHOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Opens a connection, optionally writes `send`, and resolves with what the peer answers first
 * (or '' when nothing is sent). Rejects on refusal or timeout.
 */
export function probeTcp(port: number, send?: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: LOCALHOST, port });
    const done = (error?: Error, reply = '') => {
      socket.destroy();
      error ? reject(error) : resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`timeout on port ${port}`)));
    socket.on('error', error => done(error));
    socket.on('connect', () => (send === undefined ? done() : socket.write(send)));
    socket.on('data', data => done(undefined, data.toString('utf8')));
  });
}

/** Polls `ready` until it resolves true, or throws after `timeoutMs`. */
export async function waitUntil(
  ready: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function terminate(pid: number, graceMs = 5_000): Promise<void> {
  if (!isProcessAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(50);
      return;
    }
    await sleep(25);
  }
}
