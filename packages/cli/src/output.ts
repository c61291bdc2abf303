import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/**
 * Writes text chunks to `path` (or standard output for "-"). A file is written beside its final
 * name and renamed into place, so a failed run never leaves a half-written file that looks done.
 * A closed standard output (`| head`) ends the write quietly.
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
  const partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
  try {
    await pipeline(source, createWriteStream(partial));
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
}
