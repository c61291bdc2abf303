import { ClusteringRecord, keys, type RideDate } from '@etml/domain';
import type { ObjectStore } from '@etml/storage';

/** The day's clustering record; without one there is nothing to load yet. */
export async function readClustering(
  store: ObjectStore,
  date: RideDate,
): Promise<ClusteringRecord> {
  const key = keys.clustering(date);
  const record = await store.getJsonIfExists(key);
  if (record === undefined) {
    throw new Error(`${store.uri(key)} does not exist: cluster-${date} has not finished`);
  }
  return ClusteringRecord.parse(record);
}

/**
 * The clustered rides' lines, checked against the clustering record's sha256 when the last one
 * is read: a day clustered again meanwhile makes the reader throw, and the job retries.
 */
export async function* clusteredLines(
  store: ObjectStore,
  date: RideDate,
  clustering: ClusteringRecord,
): AsyncGenerator<string> {
  const lines = store.readLines(keys.clustered(date), { sha256: clustering.clustered.sha256 });
  for await (const line of lines) if (line !== '') yield line;
}
