import type { DbscanParams } from './dbscan.ts';

/** min_samples of the default parameters, at every volume. */
export const DEFAULT_MIN_SAMPLES = 8;
const BASE_RIDES = 400;

/**
 * The default DBSCAN parameters for a day of N rides, on standardized distance and time.
 *
 * The seed's fixed eps 0.3 and min_samples 10 stop working as volume grows: the injected
 * anomalies sit in a sparse tail about a hundred times thinner than the normal rides, and with
 * enough rides even that tail holds 10 points within 0.3, so it turns into clusters of its own
 * (recall on truly long rides falls from 0.91 at 400 rides to 0.35 at 20k).
 *
 * So the density threshold follows the volume: min_samples stays at 8 and eps shrinks as 1/√N,
 * which keeps the expected neighbour count of each region, and so the line between dense and
 * sparse, where it is relative to the day. The factor in front grows slowly with N (0.46 at 400
 * rides, 0.89 at 1M): with more rides, densities are measured more surely and a wider
 * neighbourhood in count terms costs no detail. The constants were fitted on simulated days from
 * 400 to 1M rides against the simulator's ground truth, pooled over many days at small N
 * (BENCHMARKS.md has the recall and precision this gives); explicit eps and min_samples replace
 * them entirely.
 */
export function defaultDbscanParams(rides: number): DbscanParams {
  const ratio = Math.max(1, rides / BASE_RIDES);
  const factor = 0.46 + 0.055 * Math.log(ratio);
  return { eps: factor / Math.sqrt(ratio), minSamples: DEFAULT_MIN_SAMPLES };
}
