import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EnvSource } from '@etml/config';
import type { LogFormat } from '@etml/domain';
import {
  connectRedis,
  connectStore,
  createLogger,
  PROJECT_ROOT,
  resolveLogFormat,
} from '@etml/runtime';
import { parseFlags } from '../args.ts';
import type { Command } from '../command.ts';

const SERVICES = ['scheduler', 'cluster-worker', 'summarize-worker', 'board'] as const;
const WIDTH = Math.max(...SERVICES.map(s => s.length));

/**
 * Copies a child's output line by line: pretty lines prefixed with its service's name, JSON lines
 * unchanged (each names its service), so a log stack reads them as the service's own.
 */
function copyLines(child: ChildProcess, name: string, format: LogFormat): void {
  const prefix = format === 'pretty' ? `${name.padEnd(WIDTH)} | ` : '';
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
  const logSettings = env.log;
  // Decided here, where the terminal is: the services' stderr is a pipe to this process.
  const format = resolveLogFormat(logSettings.format);
  const log = format === 'json' ? createLogger('start', undefined, logSettings) : undefined;
  const say = (text: string) => (log ? log.info(text) : process.stderr.write(`${text}\n`));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: format };
  const randomPassword = !childEnv.BOARD_PASSWORD && childEnv.BOARD_AUTH !== 'off';
  if (randomPassword) childEnv.BOARD_PASSWORD = randomBytes(12).toString('base64url');
  await preflight(childEnv);
  // Started (or found) once here, so the four services do not race to start them.
  const redis = await connectRedis(env);
  const store = await connectStore(env);
  say(`redis: ${redis.description}`);
  say(`s3:    ${store.description}`);
  if (randomPassword) {
    const user = `board: user ${childEnv.BOARD_USERNAME ?? 'admin'}`;
    // A password is never logged: JSON lines go to a log stack, not to the person at the board.
    say(
      log
        ? `${user}, a random password for this run, not logged; set BOARD_PASSWORD to choose one`
        : `${user}, password ${childEnv.BOARD_PASSWORD} (for this run; set BOARD_PASSWORD to choose one)`,
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
    copyLines(child, name, format);
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
      say(
        `${signal}: stopping the services; running jobs finish or go back to the queue (Ctrl-C again to force)`,
      );
    } else if (signals === 2) {
      say(
        `${signal} again: forcing the services to exit now; their running jobs are taken over once their locks expire`,
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
