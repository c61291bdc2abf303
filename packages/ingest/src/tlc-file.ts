import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError, type RideDate } from '@etml/domain';
import { parse as parseCsvSync } from 'csv-parse/sync';
import {
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
} from 'hyparquet';
import { parseRows } from './parse.ts';
import {
  type TlcCell,
  type TlcLayout,
  tlcLayout,
  tlcRide,
  tlcTrip,
  type ZoneClock,
} from './tlc.ts';

const PARQUET_MAGIC = 'PAR1';

/** A TLC file, opened: its layout, and its rows in file order, read as they are asked for. */
export interface TlcFile {
  kind: 'csv' | 'parquet';
  layout: TlcLayout;
  /** Parquet timestamps stored as instants (isAdjustedToUTC), not wall-clock times. */
  instants: boolean;
  /** How much of the file the rows read so far cover, from 0 to 1. */
  readFraction(): number;
  rows(): AsyncGenerator<
    { row: number; cells: Record<string, TlcCell> } | { row: number; error: string }
  >;
}

async function readBytes(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function openParquet(path: string, size: number): Promise<TlcFile | undefined> {
  const tail = await readBytes(path, Math.max(0, size - 4), 4);
  if (size < 12 || tail.toString('latin1') !== PARQUET_MAGIC) {
    throw new InputError('is a truncated Parquet file: it does not end with its footer');
  }
  const file = await asyncBufferFromFile(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new InputError(`is not a readable Parquet file: ${(error as Error).message}`);
  }
  const schema = parquetSchema(metadata);
  const layout = tlcLayout(schema.children.map(child => child.element.name));
  if (!layout) return undefined;
  const pickup = schema.children.find(c => c.element.name === layout.pickup)?.element;
  const logical = pickup?.logical_type;
  const instants = logical?.type === 'TIMESTAMP' && logical.isAdjustedToUTC === true;
  const total = Number(metadata.num_rows);
  let read = 0;
  return {
    kind: 'parquet',
    layout,
    instants,
    readFraction: () => (total === 0 ? 1 : read / total),
    async *rows() {
      let start = 0;
      // One row group at a time: memory follows the writer's row groups, not the file.
      for (const [index, group] of metadata.row_groups.entries()) {
        const end = start + Number(group.num_rows);
        let objects: Record<string, TlcCell>[];
        try {
          objects = (await parquetReadObjects({
            file,
            metadata,
            rowStart: start,
            rowEnd: end,
          })) as Record<string, TlcCell>[];
        } catch (error) {
          throw new InputError(
            `row group ${index + 1} (rows ${start + 1}–${end}) cannot be read: ${(error as Error).message}`,
          );
        }
        for (const [i, cells] of objects.entries()) {
          read = start + i + 1;
          yield { row: read, cells };
        }
        start = end;
      }
    },
  };
}

async function openCsv(path: string, size: number): Promise<TlcFile | undefined> {
  const head = (await readBytes(path, 0, 64 * 1024)).toString('utf8').replace(/^\uFEFF/, '');
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  let header: string[];
  try {
    header = (parseCsvSync(firstLine, { trim: true }) as string[][])[0] ?? [];
  } catch {
    return undefined;
  }
  const layout = tlcLayout(header);
  if (!layout) return undefined;
  let stream: ReturnType<typeof createReadStream> | undefined;
  return {
    kind: 'csv',
    layout,
    instants: false,
    readFraction: () => (size === 0 ? 1 : (stream?.bytesRead ?? 0) / size),
    async *rows() {
      stream = createReadStream(path);
      for await (const parsed of parseRows(stream, 'csv')) {
        yield 'error' in parsed
          ? parsed
          : { row: parsed.row, cells: parsed.value as Record<string, TlcCell> };
      }
    },
  };
}

/**
 * Opens a TLC trip-record file, CSV or Parquet (told apart by content), or gives undefined when
 * it is not one (a file in the seed's format, say). A truncated or corrupt Parquet file, and a
 * TLC header without the columns a ride needs, are InputErrors.
 */
export async function openTlcFile(path: string, size: number): Promise<TlcFile | undefined> {
  const magic = (await readBytes(path, 0, 4)).toString('latin1');
  return magic === PARQUET_MAGIC ? openParquet(path, size) : openCsv(path, size);
}

export type TlcRow =
  | { row: number; ok: true; date: RideDate; ride: Record<string, unknown> }
  | { row: number; ok: false; reasons: string[]; date?: RideDate };

/**
 * The file's trips as rides, in file order, each with the next id of its day, or with the
 * reasons it is not a ride.
 */
export async function* tlcRides(file: TlcFile, clock: ZoneClock): AsyncGenerator<TlcRow> {
  const sequence = new Map<RideDate, number>();
  const options = { clock, instants: file.instants };
  for await (const read of file.rows()) {
    if ('error' in read) {
      yield { row: read.row, ok: false, reasons: [read.error] };
      continue;
    }
    const trip = tlcTrip(file.layout, read.cells, options);
    if (!trip.ok) {
      yield { row: read.row, ...trip };
      continue;
    }
    const next = (sequence.get(trip.date) ?? 0) + 1;
    sequence.set(trip.date, next);
    yield { row: read.row, ok: true, date: trip.date, ride: tlcRide(trip, next) };
  }
}
