import type { CliEnv } from './env.ts';

/**
 * A subcommand. The environment is read on demand, so a command that needs none (setup,
 * cluster) is not blocked by an unrelated bad variable.
 */
export type Command = (args: string[], env: () => CliEnv) => Promise<void>;
