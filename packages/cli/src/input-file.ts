import { access, constants, open, stat } from 'node:fs/promises';
import { InputError, type RawFormat } from '@etml/domain';
import { detectFormat } from '@etml/ingest';

async function readHead(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4_096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Checks that `path` is a readable file, naming the command and flag if not; gives its size. */
export async function readableFile(command: string, flag: string, path: string): Promise<number> {
  const named = `${command}: --${flag} ${JSON.stringify(path)}`;
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new InputError(`${named} does not exist`);
  if (!info.isFile()) throw new InputError(`${named} is not a file`);
  await access(path, constants.R_OK).catch(() => {
    throw new InputError(`${named} is not readable`);
  });
  return info.size;
}

/**
 * Checks that `path` is a readable file and tells its format from its first bytes. Every
 * problem is an InputError naming the command, the flag and the path.
 */
export async function inputFileFormat(
  command: string,
  flag: string,
  path: string,
): Promise<RawFormat> {
  const named = `${command}: --${flag} ${JSON.stringify(path)}`;
  await readableFile(command, flag, path);
  try {
    return detectFormat(await readHead(path));
  } catch (error) {
    throw new InputError(`${named}: ${(error as Error).message}`);
  }
}

/** Prefixes an InputError with the command and file; other errors pass unchanged. */
export function inFile(command: string, path: string) {
  return (error: unknown): never => {
    if (error instanceof InputError) {
      const where = error.message.includes(path) ? '' : `${path}: `;
      throw new InputError(`${command}: ${where}${error.message}`);
    }
    throw error;
  };
}
