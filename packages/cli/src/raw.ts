import type { Readable } from 'node:stream';
import { keys, RAW_FORMATS, type RawFormat, type RideDate } from '@etml/domain';
import type { ObjectStore, WriteResult } from '@etml/storage';

const CONTENT_TYPES: Record<RawFormat, string> = {
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  csv: 'text/csv',
};

/**
 * Stores a day's raw input as raw/date=D/rides.<format>, then removes that day's raw files in
 * the other formats, so a date always has exactly one input and re-uploading replaces it.
 */
export async function putRawRides(
  store: ObjectStore,
  date: RideDate,
  format: RawFormat,
  body: Readable | AsyncIterable<Uint8Array | string>,
): Promise<WriteResult> {
  const written = await store.putStream(keys.raw(date, format), body, CONTENT_TYPES[format]);
  for (const other of RAW_FORMATS) {
    if (other !== format && (await store.exists(keys.raw(date, other)))) {
      await store.delete(keys.raw(date, other));
    }
  }
  return written;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
