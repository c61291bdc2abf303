import { fma } from './fma.ts';
import type { DbscanResult } from './types.ts';

/** Calls `visit(j)` for every neighbour j of point i (i itself included). */
export type NeighbourQuery = (i: number, visit: (j: number) => boolean | undefined) => void;

/**
 * scikit-learn's own DBSCAN, step for step (`dbscan_inner`): count each point's neighbours to
 * find the core points, then grow clusters depth-first from each unlabelled core point in input
 * order, so cluster ids and border assignments are sklearn's by construction. Neighbours come
 * from `query`, which decides what "within eps" means. A visit that returns true stops the
 * query early.
 */
export function queryDbscan(n: number, minSamples: number, query: NeighbourQuery): DbscanResult {
  const labels = new Int32Array(n).fill(-1);
  const core = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    let count = 0;
    query(i, () => ++count >= minSamples);
    if (count >= minSamples) core[i] = 1;
  }
  let cluster = 0;
  const stack: number[] = [];
  for (let start = 0; start < n; start += 1) {
    if (labels[start] !== -1 || !core[start]) continue;
    let i = start;
    for (;;) {
      if (labels[i] === -1) {
        labels[i] = cluster;
        if (core[i]) {
          query(i, j => {
            if (labels[j] === -1) stack.push(j);
            return false;
          });
        }
      }
      const next = stack.pop();
      if (next === undefined) break;
      i = next;
    }
    cluster += 1;
  }
  return { labels, core };
}

/**
 * Exact neighbours through a sweep over x: only points whose x lies within eps (widened a
 * little, the sum of squares decides) are compared. No cell arithmetic, so it holds for any
 * coordinate range and any eps, even where a grid would need more cells than numbers can count.
 */
export function sweepDbscan(
  x: Float64Array,
  y: Float64Array,
  eps: number,
  minSamples: number,
): DbscanResult {
  const n = x.length;
  const eps2 = eps * eps;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (x[a] as number) - (x[b] as number) || a - b,
  );
  const rank = new Uint32Array(n);
  for (let k = 0; k < n; k += 1) rank[order[k] as number] = k;
  const reach = eps * (1 + 1e-9);
  const neighbours: NeighbourQuery = (i, visit) => {
    const px = x[i] as number;
    const py = y[i] as number;
    const at = rank[i] as number;
    // The order of neighbours does not matter: a cluster's depth-first growth labels everything
    // it can reach before the next cluster starts, whatever order it goes in.
    for (let k = at; k >= 0 && px - (x[order[k] as number] as number) <= reach; k -= 1) {
      const j = order[k] as number;
      const dx = px - (x[j] as number);
      const dy = py - (y[j] as number);
      if (dx * dx + dy * dy <= eps2 && visit(j)) return;
    }
    for (let k = at + 1; k < n && (x[order[k] as number] as number) - px <= reach; k += 1) {
      const j = order[k] as number;
      const dx = px - (x[j] as number);
      const dy = py - (y[j] as number);
      if (dx * dx + dy * dy <= eps2 && visit(j)) return;
    }
  };
  return queryDbscan(n, minSamples, neighbours);
}

/**
 * scikit-learn switches to brute force for 11 points or fewer (its NearestNeighbors default of 5
 * neighbours is at least half the points), and brute force measures distance as
 * ‖x‖² − 2·x·y + ‖y‖² through BLAS rather than as a sum of squared differences. The two disagree
 * in the last bits, which decides ties at exactly eps, so tiny days use that formula, with the
 * fused multiply-adds of OpenBLAS's x86-64 kernels (checked against sklearn 1.2.1 on 2,000 small
 * tie-heavy inputs). A BLAS without FMA may give other labels at such ties: sklearn itself then
 * differs from machine to machine.
 */
export const BRUTE_FORCE_MAX_POINTS = 11;

export function bruteDbscan(
  x: Float64Array,
  y: Float64Array,
  eps: number,
  minSamples: number,
): DbscanResult {
  const n = x.length;
  const eps2 = eps * eps;
  const xs = Array.from(x);
  const ys = Array.from(y);
  const norm = xs.map((xi, i) => fma(ys[i] as number, ys[i] as number, xi * xi));
  const neighbours: NeighbourQuery = (i, visit) => {
    for (let j = 0; j < n; j += 1) {
      const dot = fma(ys[i] as number, ys[j] as number, (xs[i] as number) * (xs[j] as number));
      const d2 = Math.max(0, (norm[i] as number) + -2 * dot + (norm[j] as number));
      if (d2 <= eps2 && visit(j)) return;
    }
  };
  return queryDbscan(n, minSamples, neighbours);
}
