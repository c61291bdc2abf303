import { InputError } from '@etml/domain';
import { gridDbscan, gridIsExact } from './grid-dbscan.ts';
import { BRUTE_FORCE_MAX_POINTS, bruteDbscan, sweepDbscan } from './query-dbscan.ts';
import { referenceDbscan } from './reference-dbscan.ts';
import type { DbscanResult, Engine } from './types.ts';

export interface DbscanParams {
  eps: number;
  minSamples: number;
}

export function checkDbscanParams(params: DbscanParams): void {
  if (!(Number.isFinite(params.eps) && params.eps > 0)) {
    throw new InputError(`eps must be a finite number > 0, got ${params.eps}`);
  }
  if (!(Number.isInteger(params.minSamples) && params.minSamples >= 1)) {
    throw new InputError(`min_samples must be a whole number ≥ 1, got ${params.minSamples}`);
  }
}

/**
 * DBSCAN with scikit-learn's labels, on points that are already scaled. The fast engine is the
 * grid wherever the grid is exact (all real ride data), a sweep over x where coordinates are
 * extreme for eps, and sklearn's brute-force distance formula for 11 points or fewer.
 */
export function dbscan(
  x: Float64Array,
  y: Float64Array,
  params: DbscanParams,
  engine: Engine = 'fast',
): DbscanResult {
  checkDbscanParams(params);
  const { eps, minSamples } = params;
  if (x.length <= BRUTE_FORCE_MAX_POINTS) return bruteDbscan(x, y, eps, minSamples);
  if (engine === 'density-clustering') return referenceDbscan(x, y, eps, minSamples);
  return gridIsExact(x, y, eps)
    ? gridDbscan(x, y, eps, minSamples)
    : sweepDbscan(x, y, eps, minSamples);
}
