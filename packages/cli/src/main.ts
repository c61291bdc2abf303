import { EtmlError, InputError } from '@etml/domain';
import { parseFlags, UsageError } from './args.ts';
import type { Command } from './command.ts';
import { CLUSTER_USAGE, clusterCommand } from './commands/cluster.ts';
import { DEMO_USAGE, demoCommand } from './commands/demo.ts';
import {
  BACKFILL_USAGE,
  backfillCommand,
  ENQUEUE_USAGE,
  enqueueCommand,
} from './commands/enqueue.ts';
import { IMPORT_USAGE, importCommand } from './commands/import.ts';
import { QUERY_USAGE, queryCommand } from './commands/query.ts';
import { REPORT_USAGE, reportCommand } from './commands/report.ts';
import { RUN_USAGE, runCommand } from './commands/run.ts';
import { EMBEDDED_USAGE, embeddedCommand, SETUP_USAGE, setupCommand } from './commands/setup.ts';
import { SIMULATE_USAGE, simulateCommand } from './commands/simulate.ts';
import { START_USAGE, startCommand } from './commands/start.ts';
import { STATUS_USAGE, statusCommand } from './commands/status.ts';
import { UPLOAD_USAGE, uploadCommand } from './commands/upload.ts';
import { type CliEnv, loadCliEnv } from './env.ts';

interface Entry {
  usage: string;
  run: Command;
}

const UNTIL_SIGTERM = 'runs until SIGTERM; env: see README';

/**
 * `etml <name>`: runs a service until SIGTERM. Its package is imported only then, so the other
 * commands do not load every service's dependencies.
 */
function service(
  name: string,
  about: string,
  load: () => Promise<{ start: () => Promise<unknown> }>,
): Record<string, Entry> {
  const run: Command = async args => {
    parseFlags(name, args, {});
    const { start } = await load();
    await start();
  };
  return { [name]: { usage: `etml ${name}   (${about})`, run } };
}

const COMMANDS: Record<string, Entry> = {
  simulate: { usage: SIMULATE_USAGE, run: simulateCommand },
  upload: { usage: UPLOAD_USAGE, run: uploadCommand },
  import: { usage: IMPORT_USAGE, run: importCommand },
  cluster: { usage: CLUSTER_USAGE, run: clusterCommand },
  ...service('cluster-worker', UNTIL_SIGTERM, () => import('@etml/cluster-worker')),
  ...service('summarize-worker', UNTIL_SIGTERM, () => import('@etml/summarize-worker')),
  run: { usage: RUN_USAGE, run: runCommand },
  status: { usage: STATUS_USAGE, run: statusCommand },
  report: { usage: REPORT_USAGE, run: reportCommand },
  query: { usage: QUERY_USAGE, run: queryCommand },
  enqueue: { usage: ENQUEUE_USAGE, run: enqueueCommand },
  backfill: { usage: BACKFILL_USAGE, run: backfillCommand },
  start: { usage: START_USAGE, run: startCommand },
  ...service(
    'board',
    'Bull Board, /healthz and /metrics until SIGTERM; env: see README',
    () => import('@etml/board'),
  ),
  ...service('scheduler', UNTIL_SIGTERM, () => import('@etml/scheduler')),
  demo: { usage: DEMO_USAGE, run: demoCommand },
  setup: { usage: SETUP_USAGE, run: setupCommand },
  embedded: { usage: EMBEDDED_USAGE, run: embeddedCommand },
};

const HELP = [
  'usage: etml [--verbose] <command> [flags]',
  '',
  ...Object.values(COMMANDS).map(c => `  ${c.usage}`),
  '',
  'Configuration comes from the environment (see README.md). With REDIS_URL, S3_ENDPOINT and',
  'S3_BUCKET unset, etml starts its own redis-server and S3-API server, keeping data in .data/.',
].join('\n');

/** Exit codes: 0 done, 1 a failure while running, 2 a bad command line or bad input. */
async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter(a => a !== '--verbose');
  const [name, ...rest] = args;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${HELP}\n`);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`usage: ${command.usage}\n`);
      return 0;
    }
    let env: CliEnv | undefined;
    await command.run(rest, () => {
      env ??= loadCliEnv();
      return env;
    });
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof UsageError ? " (see 'etml --help')" : '';
    // One line for people; the stack only on request.
    process.stderr.write(`etml: ${message.replace(/\s*\n\s*/g, ' | ')}${hint}\n`);
    if (verbose && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    return error instanceof InputError || (error instanceof EtmlError && error.code === 'CONFIG')
      ? 2
      : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
