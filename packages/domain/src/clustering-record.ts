import { z } from 'zod';

/**
 * What clustering found, written by the cluster step beside the clustered rides as
 * `keys.clustering(date)` (clustered/date=D/_clustering.json), with their checksum, so the load
 * step can tell which clustering it is loading. The one description of a day's clustering: the
 * cluster job's result and the manifest's counts are built from it.
 */
export const ClusteringRecord = z.object({
  /** The raw input's s3:// URI (or file path, for `etml cluster`). */
  input: z.string(),
  rows: z.number().int().min(0),
  valid: z.number().int().min(0),
  rejected: z.number().int().min(0),
  clusters: z.number().int().min(0),
  noise: z.number().int().min(0),
  anomalies: z.number().int().min(0),
  params: z.object({
    eps: z.number(),
    minSamples: z.number().int(),
    source: z.enum(['default', 'explicit']),
    /** ANOMALY_MAX_SHARE when it was set, and how many anomalies it turned back to normal. */
    maxShare: z.number().optional(),
    capped: z.number().int().min(0).optional(),
  }),
  clustered: z.object({ bytes: z.number().int().min(0), sha256: z.string() }),
});
export type ClusteringRecord = z.infer<typeof ClusteringRecord>;
