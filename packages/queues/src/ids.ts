import { createHash } from 'node:crypto';
import type { RideDate } from '@etml/domain';

const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * A ride id as a piece of a BullMQ job id. Ids that are already plain (letters, digits, dot,
 * dash, underscore; 64 at most) are kept as they are, so Bull Board shows the real id. Anything
 * else (a ':' that BullMQ forbids, spaces, a very long id) is replaced by a readable prefix plus
 * a hash of the original, so two different rides never share a job.
 */
export function rideIdPart(rideId: string | number): string {
  const text = String(rideId);
  if (SAFE.test(text)) return text;
  const readable = text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 32);
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return `${readable}~${digest}`;
}

const SUMMARIZE_ID = /^summarize-\d{4}-\d{2}-\d{2}-(.+)$/;

/**
 * The ride of a summarize job known only by its id (a stalled one), as a string: what follows the
 * date, when rideIdPart kept the ride id as it is. A replaced id (its `~` hash) names no ride.
 */
export function rideInSummarizeId(jobId: string): string | undefined {
  const part = SUMMARIZE_ID.exec(jobId)?.[1];
  return part?.includes('~') ? undefined : part;
}

/** Deterministic job ids, one per date (and ride): enqueueing twice adds nothing. */
export const jobIds = {
  clusterDay: (date: RideDate) => `cluster-${date}`,
  loadDay: (date: RideDate) => `load-${date}`,
  summarizeRide: (date: RideDate, rideId: string | number) =>
    `summarize-${date}-${rideIdPart(rideId)}`,
  /**
   * A refresh of the day, named after the summarize job (and its start) that asked for it, and
   * the round: how many times it has found load-D running and come back.
   */
  refreshDay: (after: string, round = 0) =>
    round === 0 ? `refresh-${after}` : `refresh-${after}~${round}`,
  /** The debounce key every refresh of a day shares. */
  refreshDayDebounce: (date: RideDate) => `refresh-${date}`,
};
