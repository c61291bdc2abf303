import { parseFlags } from './args.ts';
import type { Command } from './command.ts';
import { clusterCommand } from './commands/cluster.ts';
import { demoCommand } from './commands/demo.ts';
import { backfillCommand, enqueueCommand } from './commands/enqueue.ts';
import { importCommand } from './commands/import.ts';
import { queryCommand } from './commands/query.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { embeddedCommand, setupCommand } from './commands/setup.ts';
import { simulateCommand } from './commands/simulate.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';
import { uploadCommand } from './commands/upload.ts';

/**
 * `etml <name>`: runs a service until SIGTERM. Its package is imported only then, so the other
 * commands do not load every service's dependencies.
 */
function service(
  name: string,
  load: () => Promise<{ start: () => Promise<unknown> }>,
): Record<string, Command> {
  const run: Command = async args => {
    parseFlags(name, args, {});
    const { start } = await load();
    await start();
  };
  return { [name]: run };
}

/** Every command by name; help.ts describes the same names (test/cli-help.test.ts checks). */
export const COMMANDS: Record<string, Command> = {
  simulate: simulateCommand,
  upload: uploadCommand,
  import: importCommand,
  cluster: clusterCommand,
  ...service('cluster-worker', () => import('@etml/cluster-worker')),
  ...service('summarize-worker', () => import('@etml/summarize-worker')),
  run: runCommand,
  status: statusCommand,
  report: reportCommand,
  query: queryCommand,
  enqueue: enqueueCommand,
  backfill: backfillCommand,
  start: startCommand,
  ...service('board', () => import('@etml/board')),
  ...service('scheduler', () => import('@etml/scheduler')),
  demo: demoCommand,
  setup: setupCommand,
  embedded: embeddedCommand,
};
