import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EnvSource } from '@etml/config';
import { connectRedis, connectStore, PROJECT_ROOT } from '@etml/runtime';
import { parseFlags } from '../args.ts';
import type { Command } from '../command.ts';

const SERVICES = ['scheduler', 'cluster-worker', 'summarize-worker', 'board'] as const;
const WIDTH = Math.max(...SERVICES.map(s => s.length));

/** Copies a child's output line by line, each prefixed with its service's name. */
function prefixLines(child: ChildProcess, name: string): void {
  const prefix = `${name.padEnd(WIDTH)} | `;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', line => {
      process.stderr.write(`${prefix}${line}\n`);
    });
  }
}

/**
 * What would make a service refuse to start, checked before any starts: each one's configuration
 * (its own loadEnv, on the environment it will get) and the board's address. A ConfigError
 * naming the variable, so there is never a half-started set.
 */
async function preflight(childEnv: EnvSource): Promise<void> {
  const [board, ...others] = await Promise.all([
    import('@etml/board'),
    import('@etml/scheduler'),
    import('@etml/cluster-worker'),
    import('@etml/summarize-worker'),
  ]);
  for (const service of others) service.loadEnv(childEnv);
  const { host, port } = board.loadEnv(childEnv);
  await board.checkBoardAddress(host, port);
}

/**
 * etml start: the four services for local use, as separate processes (as in production), with
 * their log lines prefixed. Without BOARD_PASSWORD the board gets a random one for this run,
 * printed once, rather than no authentication. One SIGINT (Ctrl-C), SIGTERM or SIGHUP stops all
 * four gracefully, exit 0; a second one forces them, exit 1. If one exits on its own, the others
 * are stopped too and the exit code says so.
 */
export const startCommand: Command = async (args, getEnv) => {
  parseFlags('start', args, {});
  const env = getEnv();
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  const randomPassword = !childEnv.BOARD_PASSWORD && childEnv.BOARD_AUTH !== 'off';
  if (randomPassword) childEnv.BOARD_PASSWORD = randomBytes(12).toString('base64url');
  await preflight(childEnv);
  // Started (or found) once here, so the four services do not race to start them.
  const redis = await connectRedis(env);
  const store = await connectStore(env);
  process.stderr.write(`redis: ${redis.description}\ns3:    ${store.description}\n`);
  if (randomPassword) {
    process.stderr.write(
      `board: user ${childEnv.BOARD_USERNAME ?? 'admin'}, password ${childEnv.BOARD_PASSWORD} ` +
        '(for this run; set BOARD_PASSWORD to choose one)\n',
    );
  }
  const children = SERVICES.map(name => {
    const child = spawn(join(PROJECT_ROOT, 'bin', 'etml'), [name], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Their own process group: a terminal's Ctrl-C reaches start alone, which then sends each
      // service exactly one SIGTERM. Were it to reach them too, start's SIGTERM would be their
      // second signal, which means "exit now".
      detached: true,
    });
    prefixLines(child, name);
    return { name, child, exited: once(child, 'exit') as Promise<[number | null, string | null]> };
  });
  const signalAll = () => {
    for (const { child } of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
  };
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    // Before saying so: after a SIGHUP the terminal may be gone.
    if (signals <= 2) signalAll();
    if (signals === 1) {
      process.stderr.write(
        `${signal}: stopping the services; running jobs finish or go back to the queue (Ctrl-C again to force)\n`,
      );
    } else if (signals === 2) {
      process.stderr.write(
        `${signal} again: forcing the services to exit now; their running jobs are taken over once their locks expire\n`,
      );
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // The first service to exit ends the whole set.
  const first = await Promise.race(
    children.map(async ({ name, exited }) => ({ name, result: await exited })),
  );
  const unexpected = signals === 0;
  if (unexpected) {
    // As if stopped: a signal from now on is the second, which forces.
    signals = 1;
    signalAll();
  }
  const results = await Promise.all(children.map(c => c.exited));
  if (unexpected) {
    throw new Error(`${first.name} exited (code ${first.result[0]}); stopped the other services`);
  }
  if (signals > 1) {
    throw new Error(
      `forced stop: ${children.map((c, i) => `${c.name} ${results[i]?.[0]}`).join(', ')}`,
    );
  }
  if (results.some(([code]) => code !== 0)) {
    throw new Error(
      `not every service stopped cleanly: ${children.map((c, i) => `${c.name} ${results[i]?.[0]}`).join(', ')}`,
    );
  }
};
