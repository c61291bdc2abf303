import { keys, OUTPUT_FILES, type RideDate } from '@etml/domain';
import type { ObjectStore } from '@etml/storage';
import type { DayManifest } from './manifest.ts';

/** output/_latest.json: the newest complete day, for dashboards that show "yesterday". */
export interface LatestPointer {
  date: RideDate;
  completed_at: string;
  manifest: string;
  files: Record<string, string>;
  /** Every day's Parquet, for engines that read hive partitions (DuckDB, Athena, Spark). */
  all_days_parquet: string;
}

export async function readLatest(store: ObjectStore): Promise<LatestPointer | undefined> {
  return store.getJsonIfExists<LatestPointer>(keys.latest);
}

/**
 * Points output/_latest.json at this day unless it names a later one already: a backfill of old
 * days never moves the pointer back. The caller serializes calls (two days finishing at once).
 */
export async function updateLatest(store: ObjectStore, manifest: DayManifest): Promise<boolean> {
  const current = await readLatest(store);
  if (current && current.date > manifest.date) return false;
  const pointer: LatestPointer = {
    date: manifest.date,
    completed_at: manifest.created_at,
    manifest: store.uri(keys.manifest(manifest.date)),
    files: Object.fromEntries(
      OUTPUT_FILES.filter(file => file !== '_manifest.json').map(file => [
        file,
        store.uri(keys.output(manifest.date, file)),
      ]),
    ),
    all_days_parquet: store.uri('output/date=*/rides.parquet'),
  };
  await store.putJson(keys.latest, pointer);
  return true;
}
