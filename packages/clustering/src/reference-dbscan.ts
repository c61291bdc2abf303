import clustering from 'density-clustering';
import type { DbscanResult } from './types.ts';

/**
 * The density-clustering package's DBSCAN, corrected to sklearn's semantics, for cross-checks.
 * It is O(N²) or worse: use it on thousands of points, not millions.
 * - It counts a neighbour when distance < epsilon; the distance given here is 0 for pairs within
 *   eps (inclusive, squared as sklearn compares) and 1 otherwise, with epsilon 0.5.
 * - Its `noise` array keeps border points that a later cluster absorbed, so noise is taken as
 *   "in no cluster" instead.
 */
export function referenceDbscan(
  x: Float64Array,
  y: Float64Array,
  eps: number,
  minSamples: number,
): DbscanResult {
  const n = x.length;
  const eps2 = eps * eps;
  const points = Array.from({ length: n }, (_, i) => [x[i] as number, y[i] as number]);
  const within = (a: number[], b: number[]) => {
    const dx = (a[0] as number) - (b[0] as number);
    const dy = (a[1] as number) - (b[1] as number);
    return dx * dx + dy * dy <= eps2 ? 0 : 1;
  };
  const clusters = new clustering.DBSCAN().run(points, 0.5, minSamples, within);
  const labels = new Int32Array(n).fill(-1);
  clusters.forEach((members, id) => {
    for (const p of members) labels[p] = id;
  });
  const core = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    let count = 0;
    for (let j = 0; j < n && count < minSamples; j += 1) {
      if (within(points[i] as number[], points[j] as number[]) === 0) count += 1;
    }
    if (count >= minSamples) core[i] = 1;
  }
  return { labels, core };
}
