import { EtmlError, InputError } from '@etml/domain';
import { didYouMean, HelpRequested, UsageError } from './args.ts';
import { type CliEnv, loadCliEnv } from './env.ts';
import { COMMAND_NAMES, commandHelp, generalHelp } from './help.ts';

const HELP = ['--help', '-h'];
const VERSION = ['--version', '-V'];

/** The version and the commit it was built from, for bug reports. */
async function versionLine(): Promise<string> {
  const { codeVersion } = await import('@etml/runtime');
  const { version, commit } = codeVersion();
  return `etml ${version} (commit ${commit ?? 'unknown: not a git checkout'}; Node ${process.version})`;
}

function unknownCommand(name: string): UsageError {
  return name.startsWith('-')
    ? new UsageError(
        `unknown flag ${JSON.stringify(name)}${didYouMean(name, ['help', 'version', 'verbose'], '--')}`,
      )
    : new UsageError(`unknown command ${JSON.stringify(name)}${didYouMean(name, COMMAND_NAMES)}`);
}

/** Exit codes: 0 done, 1 a failure while running, 2 a bad command line or bad input. */
async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter(a => a !== '--verbose');
  const [name, ...rest] = args;
  const print = (text: string) => process.stdout.write(`${text}\n`);
  let seeAlso = 'etml --help';
  try {
    if (name === undefined) {
      print(generalHelp());
      return 2;
    }
    if (name === 'help' || HELP.includes(name)) {
      const topic = rest.find(arg => !arg.startsWith('-'));
      if (topic !== undefined && !COMMAND_NAMES.includes(topic)) throw unknownCommand(topic);
      print(topic === undefined ? generalHelp() : commandHelp(topic));
      return 0;
    }
    if (VERSION.includes(name)) {
      print(await versionLine());
      return 0;
    }
    if (!COMMAND_NAMES.includes(name)) throw unknownCommand(name);
    seeAlso = `etml ${name} --help`;
    if (rest.some(arg => HELP.includes(arg))) {
      print(commandHelp(name));
      return 0;
    }
    // The commands, and the packages they load, only once one is to run: help stays quick.
    const { COMMANDS } = await import('./commands.ts');
    const command = COMMANDS[name];
    if (!command) throw new Error(`etml ${name} has help but no command`);
    let env: CliEnv | undefined;
    await command(rest, () => {
      env ??= loadCliEnv();
      return env;
    });
    return 0;
  } catch (error) {
    if (error instanceof HelpRequested) {
      print(commandHelp(error.command));
      return 0;
    }
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof UsageError ? ` (see '${seeAlso}')` : '';
    // One line for people; the stack only on request.
    process.stderr.write(`etml: ${message.replace(/\s*\n\s*/g, ' | ')}${hint}\n`);
    if (verbose && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    return error instanceof InputError || (error instanceof EtmlError && error.code === 'CONFIG')
      ? 2
      : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
