import { isRideDate, type RideDate } from '@etml/domain';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { jobIds } from './ids.ts';

/** Queue names; job ids are unique per queue. */
export const QUEUES = {
  cluster: 'cluster',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Payloads carry the date and nothing else: the data itself lives in S3. */
export interface ClusterDayPayload {
  date: RideDate;
}

export const ClusterDayPayload: z.ZodType<ClusterDayPayload, { date: string }> = z.object({
  date: z
    .string()
    .refine(isRideDate, 'must be a YYYY-MM-DD calendar date')
    .transform(text => text as RideDate),
});

const DAY = 24 * 3600;

/**
 * The jobs of the pipeline: name, queue, payload, deterministic id and default options. Ids are
 * deterministic (no ':' allowed in BullMQ ids), so enqueueing a date twice adds nothing while the
 * first job's record is kept, which retention holds for 90 days: longer than any backfill.
 */
export const JOBS = {
  clusterDay: {
    name: 'cluster-day',
    queue: QUEUES.cluster,
    payload: ClusterDayPayload,
    jobId: (data: ClusterDayPayload) => jobIds.clusterDay(data.date),
    options: {
      attempts: 4,
      backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 },
      removeOnComplete: { age: 90 * DAY },
      removeOnFail: { age: 90 * DAY },
    } satisfies JobsOptions,
  },
} as const;
