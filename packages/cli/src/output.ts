import {
  createWriteStream,
  existsSync,
  lstatSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '@etml/domain';

/** Checks an --output path before any work is done, naming the flag in the error. */
export function checkOutputPath(flag: string, path: string): void {
  if (path === '') throw new InputError(`--${flag} must be a file path or -, got ""`);
  if (path === '-') return;
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(
      `--${flag} ${JSON.stringify(path)}: folder ${JSON.stringify(dir)} does not exist`,
    );
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new InputError(`--${flag} ${JSON.stringify(path)} is a folder, not a file`);
  }
}

/** The file a path ends at (symlinks followed), so two flags naming one file are caught. */
export function fileIdentity(path: string): string {
  return existsSync(path) ? realpathSync(path) : resolve(path);
}

/** Refuses flags that would write over each other or over the input. */
export function checkDistinct(paths: Record<string, string | undefined>): void {
  const seen = new Map<string, string>();
  for (const [flag, path] of Object.entries(paths)) {
    if (path === undefined || path === '-') continue;
    const id = fileIdentity(path);
    const other = seen.get(id);
    if (other)
      throw new InputError(`--${flag} and --${other} name the same file ${JSON.stringify(path)}`);
    seen.set(id, flag);
  }
}

/**
 * Writes text chunks to `path` (or standard output for "-"). A regular file is written beside
 * its final name and renamed into place, so a failed run never leaves a half-written file that
 * looks done; a symlink is followed to its target first. Devices and pipes (/dev/null, a FIFO)
 * are written directly. A closed standard output (`| head`) ends the write quietly.
 */
export async function writeChunks(
  path: string,
  chunks: AsyncIterable<string> | Iterable<string>,
): Promise<void> {
  const source = Readable.from(chunks);
  if (path === '-') {
    try {
      await pipeline(source, process.stdout);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    }
    return;
  }
  const target = fileIdentity(path);
  if (existsSync(target) && !lstatSync(target).isFile()) {
    await pipeline(source, createWriteStream(target));
    return;
  }
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  try {
    await pipeline(source, createWriteStream(partial));
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** "1 cluster", "3 clusters". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
