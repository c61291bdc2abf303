import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectRedis, connectStore, PROJECT_ROOT } from '@etml/runtime';
import { parseFlags } from '../args.ts';
import type { Command } from '../command.ts';

export const START_USAGE = 'etml start   (scheduler, cluster-worker, summarize-worker and board)';

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
 * etml start: the four services for local use, as separate processes (as in production), with
 * their log lines prefixed. Without BOARD_PASSWORD the board gets a random one for this run,
 * printed once, rather than no authentication. SIGTERM or SIGINT stops all four; if one exits on
 * its own, the others are stopped too and the exit code says so.
 */
export const startCommand: Command = async (args, getEnv) => {
  parseFlags('start', args, {});
  const env = getEnv();
  // Started (or found) once here, so the four services do not race to start them.
  const redis = await connectRedis(env);
  const store = await connectStore(env);
  process.stderr.write(`redis: ${redis.description}\ns3:    ${store.description}\n`);
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  if (!childEnv.BOARD_PASSWORD && childEnv.BOARD_AUTH !== 'off') {
    childEnv.BOARD_PASSWORD = randomBytes(12).toString('base64url');
    process.stderr.write(
      `board: user ${childEnv.BOARD_USERNAME ?? 'admin'}, password ${childEnv.BOARD_PASSWORD} ` +
        '(for this run; set BOARD_PASSWORD to choose one)\n',
    );
  }
  const children = SERVICES.map(name => {
    const child = spawn(join(PROJECT_ROOT, 'bin', 'etml'), [name], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(child, name);
    return { name, child, exited: once(child, 'exit') as Promise<[number | null, string | null]> };
  });
  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const { child } of children) if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  process.on('SIGINT', () => stopAll('SIGTERM'));
  // The first service to exit ends the whole set.
  const first = await Promise.race(
    children.map(async ({ name, exited }) => ({ name, result: await exited })),
  );
  const unexpected = !stopping;
  stopAll('SIGTERM');
  const results = await Promise.all(children.map(c => c.exited));
  if (unexpected) {
    throw new Error(`${first.name} exited (code ${first.result[0]}); stopped the other services`);
  }
  if (results.some(([code]) => code !== 0)) {
    throw new Error(
      `not every service stopped cleanly: ${children.map((c, i) => `${c.name} ${results[i]?.[0]}`).join(', ')}`,
    );
  }
};
