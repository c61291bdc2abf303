import type { RideDate } from '@etml/domain';
import { failedOverShare, readManifest } from '@etml/outputs';
import type { ObjectStore } from '@etml/storage';
import { shareFlag } from './args.ts';

/** --max-failed-share, from 0 to 1; by default any failed summary fails the command. */
export const maxFailedShareFlag = (command: string, value: string | undefined) =>
  shareFlag(command, 'max-failed-share', value, 0);

/**
 * Why a complete day counts as failed: more of its summaries failed than `maxShare` of them,
 * with how many and the first reason, from its manifest. Undefined when it is within the share.
 */
export async function tooManyFailedSummaries(
  store: ObjectStore,
  date: RideDate,
  maxShare: number,
): Promise<string | undefined> {
  const manifest = await readManifest(store, date);
  if (!manifest) return undefined;
  const over = failedOverShare(manifest, maxShare);
  if (!over) return undefined;
  const { failed, total } = over;
  const first = manifest.failed_summaries[0];
  return (
    `${date}: ${failed} of ${total} summaries failed (more than --max-failed-share ${maxShare} allows)` +
    (first ? `; the first, ride ${first.ride_id}: ${first.reason}` : '')
  );
}
