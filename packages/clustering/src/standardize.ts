/**
 * scikit-learn's StandardScaler (1.2), operation for operation, so standardized values are the
 * same doubles sklearn computes and DBSCAN's inclusive `<= eps` ties resolve the same way.
 * numpy sums the columns of a C-ordered (n, 2) array in input order, which a plain loop repeats.
 */
export interface Standardized {
  x: Float64Array;
  y: Float64Array;
  mean: [number, number];
  scale: [number, number];
}

const EPSILON = Number.EPSILON;

function columnStats(values: Float64Array): { mean: number; scale: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i += 1) sum += values[i] as number;
  const mean = sum / n;
  // sklearn's corrected two-pass variance (_incremental_mean_and_var with no earlier batch).
  let correction = 0;
  let squares = 0;
  for (let i = 0; i < n; i += 1) {
    const d = (values[i] as number) - mean;
    correction += d;
    squares += d * d;
  }
  const variance = (squares - (correction * correction) / n) / n;
  // _is_constant_feature: near-constant columns get scale 1 instead of a noisy tiny one.
  const bound = n * EPSILON * variance + (n * mean * EPSILON) ** 2;
  return { mean, scale: variance <= bound ? 1 : Math.sqrt(variance) };
}

export function standardize(x: Float64Array, y: Float64Array): Standardized {
  if (x.length !== y.length) throw new Error(`column lengths differ: ${x.length} and ${y.length}`);
  if (x.length === 0) throw new Error('cannot standardize an empty set of rides');
  const sx = columnStats(x);
  const sy = columnStats(y);
  const zx = new Float64Array(x.length);
  const zy = new Float64Array(y.length);
  for (let i = 0; i < x.length; i += 1) {
    zx[i] = ((x[i] as number) - sx.mean) / sx.scale;
    zy[i] = ((y[i] as number) - sy.mean) / sy.scale;
  }
  return { x: zx, y: zy, mean: [sx.mean, sy.mean], scale: [sx.scale, sy.scale] };
}
