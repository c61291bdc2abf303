import { createReadStream } from 'node:fs';
import { InputError, keys } from '@etml/domain';
import { checkRows, describeRejection, openTlcFile, parseRows, summarizeRows } from '@etml/ingest';
import { connectStore } from '@etml/runtime';
import { dateFlag, parseFlags, requireFlag } from '../args.ts';
import type { Command } from '../command.ts';
import { inFile, inputFileFormat, readableFile } from '../input-file.ts';
import { formatBytes, putRawRides } from '../raw.ts';
import { rawInputArrived } from '../raw-arrived.ts';

/**
 * Validates the whole file before anything is uploaded. Invalid rows do not stop the upload:
 * the file is stored as it is, and the cluster step quarantines those rows with their reasons.
 * A file without a single valid row is refused.
 */
export const uploadCommand: Command = async (args, env) => {
  const flags = parseFlags('upload', args, { date: { type: 'string' }, file: { type: 'string' } });
  const date = dateFlag('upload', 'date', flags.date);
  const file = requireFlag('upload', 'file', flags.file);
  const size = await readableFile('upload', 'file', file);
  if (await openTlcFile(file, size).catch(() => undefined)) {
    throw new InputError(
      `upload: ${file} is a NYC TLC trip-record file; it goes in with etml import --file ${file}`,
    );
  }
  const format = await inputFileFormat('upload', 'file', file);
  const summary = await summarizeRows(checkRows(parseRows(createReadStream(file), format))).catch(
    inFile('upload', file),
  );
  if (summary.valid === 0) {
    const first = summary.examples[0];
    throw new InputError(
      summary.total === 0
        ? `upload: ${file} has no rows`
        : `upload: ${file} has no valid rows (${summary.total} rows; ${first ? describeRejection(first) : ''})`,
    );
  }
  const store = await connectStore(env());
  const written = await putRawRides(store.value, date, format, createReadStream(file));
  process.stderr.write(
    `uploaded ${file} as ${format}: ${summary.valid} valid rows -> ${store.value.uri(keys.raw(date, format))} ` +
      `(${formatBytes(written.bytes)}, ${store.description})\n`,
  );
  if (summary.rejected > 0) {
    process.stderr.write(
      `warning: ${summary.rejected} of ${summary.total} rows are invalid; the cluster step will quarantine them in ${keys.rejected(date)}:\n`,
    );
    for (const example of summary.examples) {
      process.stderr.write(`  ${describeRejection(example)}\n`);
    }
    const more = summary.rejected - summary.examples.length;
    if (more > 0) process.stderr.write(`  ... and ${more} more\n`);
  }
  await rawInputArrived(env(), [date]);
};
