import { parseArgs } from 'node:util';
import { InputError, parseRideDate, type RideDate } from '@etml/domain';

/** A command line the CLI cannot run: exit code 2 and a one-line message. */
export class UsageError extends InputError {}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parses a command's flags; unknown flags, stray arguments and missing values are UsageErrors. */
export function parseFlags<T extends OptionSpec>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = (error as Error).message
      .replace(/\. To specify an option argument starting with .*$/s, '')
      .replace(/\s+/g, ' ');
    throw new UsageError(`${command}: ${message}`);
  }
}

export function requireFlag(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '')
    throw new UsageError(`${command}: --${name} is required`);
  return value;
}

export function dateFlag(command: string, name: string, value: string | undefined): RideDate {
  return parseRideDate(requireFlag(command, name, value), `--${name}`);
}

export function intFlag(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
  range: { min: number; max: number },
): number {
  if (value === undefined) return fallback;
  const n = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(
      `${command}: --${name} must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** A share from 0 to 1, such as --max-failed-share 0.05. */
export function shareFlag(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = /^\s*$/.test(value) ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(
      `${command}: --${name} must be a number from 0 to 1, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}
