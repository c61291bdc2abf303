import { keys, RAW_FORMATS, type RawFormat, type RideDate } from '@etml/domain';
import type { ObjectStore } from './object-store.ts';

export interface RawInput {
  key: string;
  format: RawFormat;
}

/**
 * The day's raw inputs in S3, raw/date=D/rides.{json,jsonl,csv}. A day that can be clustered has
 * exactly one; the cluster step refuses more, and an empty list means the data has not arrived.
 */
export async function findRawInputs(store: ObjectStore, date: RideDate): Promise<RawInput[]> {
  const found: RawInput[] = [];
  for (const format of RAW_FORMATS) {
    const key = keys.raw(date, format);
    if (await store.exists(key)) found.push({ key, format });
  }
  return found;
}

/** Where a day's raw input is looked for, for messages: s3://…/raw/date=D/rides.{json,jsonl,csv}. */
export function rawInputPattern(store: ObjectStore, date: RideDate): string {
  return `${store.uri(keys.rawPrefix(date))}rides.{${RAW_FORMATS.join(',')}}`;
}
