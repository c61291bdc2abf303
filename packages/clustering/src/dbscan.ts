import { InputError } from '@etml/domain';
import { gridDbscan } from './grid-dbscan.ts';
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

/** DBSCAN with scikit-learn's labels, on points that are already scaled. */
export function dbscan(
  x: Float64Array,
  y: Float64Array,
  params: DbscanParams,
  engine: Engine = 'fast',
): DbscanResult {
  checkDbscanParams(params);
  const run = engine === 'fast' ? gridDbscan : referenceDbscan;
  return run(x, y, params.eps, params.minSamples);
}
