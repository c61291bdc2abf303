import { parseArgs } from 'node:util';
import { InputError, parseRideDate, type RideDate } from '@etml/domain';

/** A command line the CLI cannot run: exit code 2 and a one-line message. */
export class UsageError extends InputError {}

/**
 * `--help` reached a command: main.ts prints that command's help instead of running it. It
 * carries the flags the command parses, so a test can hold each help text to them.
 */
export class HelpRequested extends Error {
  readonly command: string;
  readonly flags: string[];

  constructor(command: string, flags: string[]) {
    super(`${command}: help requested`);
    this.command = command;
    this.flags = flags;
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** What parseArgs gives for `options` in strict mode: each flag typed, unknown ones refused. */
type Flags<T extends OptionSpec> = ReturnType<
  typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>
>['values'];

/** How far apart two words are: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Uint32Array((a.length + 1) * width);
  const at = (i: number, j: number) => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i += 1) d[i * width] = i;
  for (let j = 0; j <= b.length; j += 1) d[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate a typo most likely meant: the only one the word begins, or else the nearest
 * within two edits (one for short words). Undefined when nothing is that close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  const extending = candidates.filter(c => typed.length >= 3 && c.startsWith(typed));
  if (extending.length === 1) return extending[0];
  const allowed = typed.length <= 4 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (distance <= allowed && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** ` did you mean "x"?`, or nothing. */
export function didYouMean(word: string, candidates: readonly string[], prefix = ''): string {
  const match = closest(word.replace(/^-+/, ''), candidates);
  return match === undefined ? '' : `; did you mean ${JSON.stringify(`${prefix}${match}`)}?`;
}

/** A negative number is a value (for a flag to range-check), never a flag. */
const NUMBER_LIKE = /^-(?:\d|\.\d)/;

/**
 * Parses a command's flags. Unknown flags (with the nearest known one), stray arguments and
 * missing values are UsageErrors in plain words; `--help` or `-h` anywhere is HelpRequested.
 */
export function parseFlags<T extends OptionSpec>(
  command: string,
  args: string[],
  options: T,
): Flags<T> {
  const fail = (message: string) => new UsageError(`${command}: ${message}`);
  // Not strict: Node's own messages ("argument is ambiguous…") are not for people, and a value
  // such as "-5" belongs to its flag, for the flag's own range check to name.
  const { values, tokens } = parseArgs({
    args,
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const names = Object.keys(options);
  if (tokens.some(t => t.kind === 'option' && (t.rawName === '--help' || t.rawName === '-h'))) {
    throw new HelpRequested(command, names);
  }
  for (const token of tokens) {
    if (token.kind === 'positional') {
      throw fail(`unexpected argument ${JSON.stringify(token.value)}`);
    }
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) {
      throw fail(
        `unknown flag ${JSON.stringify(token.rawName)}${didYouMean(token.name, names, '--')}`,
      );
    }
    const flag = token.rawName;
    if (spec.type === 'boolean') {
      if (token.value !== undefined)
        throw fail(`${flag} takes no value, got ${JSON.stringify(`${flag}=${token.value}`)}`);
      continue;
    }
    if (token.value === undefined) throw fail(`${flag} needs a value`);
    if (
      !token.inlineValue &&
      token.value.length > 1 &&
      token.value.startsWith('-') &&
      !NUMBER_LIKE.test(token.value)
    ) {
      throw fail(
        `${flag} needs a value, got the flag ${JSON.stringify(token.value)} (write ${flag}=${token.value} if that is the value)`,
      );
    }
  }
  return values as Flags<T>;
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
