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

/** Mean and scale of `values`, each first clipped to [low, high] (no clipping by default). */
function columnStats(
  values: Float64Array,
  low = Number.NEGATIVE_INFINITY,
  high = Number.POSITIVE_INFINITY,
): { mean: number; scale: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i += 1) sum += Math.min(Math.max(values[i] as number, low), high);
  const mean = sum / n;
  // sklearn's corrected two-pass variance (_incremental_mean_and_var with no earlier batch).
  let correction = 0;
  let squares = 0;
  for (let i = 0; i < n; i += 1) {
    const d = Math.min(Math.max(values[i] as number, low), high) - mean;
    correction += d;
    squares += d * d;
  }
  const variance = (squares - (correction * correction) / n) / n;
  // _is_constant_feature: near-constant columns get scale 1 instead of a noisy tiny one.
  const bound = n * EPSILON * variance + (n * mean * EPSILON) ** 2;
  return { mean, scale: variance <= bound ? 1 : Math.sqrt(variance) };
}

type Stats = { mean: number; scale: number };

/** (value − mean) / scale per column: StandardScaler's transform, in its order of operations. */
function scaleBy(x: Float64Array, y: Float64Array, sx: Stats, sy: Stats): Standardized {
  const zx = new Float64Array(x.length);
  const zy = new Float64Array(y.length);
  for (let i = 0; i < x.length; i += 1) {
    zx[i] = ((x[i] as number) - sx.mean) / sx.scale;
    zy[i] = ((y[i] as number) - sy.mean) / sy.scale;
  }
  return { x: zx, y: zy, mean: [sx.mean, sy.mean], scale: [sx.scale, sy.scale] };
}

export function standardize(x: Float64Array, y: Float64Array): Standardized {
  if (x.length !== y.length) throw new Error(`column lengths differ: ${x.length} and ${y.length}`);
  if (x.length === 0) throw new Error('cannot standardize an empty set of rides');
  return scaleBy(x, y, columnStats(x), columnStats(y));
}

/**
 * The value at rank floor(q·(n-1)) of `values`, as a sorted copy would give it, by selection in
 * linear time. Reorders `values`.
 */
export function selectQuantile(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const k = Math.min(n - 1, Math.floor(q * (n - 1)));
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i += 1;
      while ((values[j] as number) > pivot) j -= 1;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] as number;
  }
  return values[k] as number;
}

/** At most this many values are read to find the clipping bounds: plenty for a 0.1 % tail. */
const SAMPLE = 200_000;

/**
 * Like {@link standardize}, but the mean and scale are computed on values clipped to their
 * 0.1 % and 99.9 % quantiles (from an evenly spaced sample), so a handful of absurd rides (a
 * 1,000-hour trip) cannot squash every other ride into a corner of the scaled space. All rides
 * are still scaled, the absurd ones included, and stay far out. The default parameters use this;
 * explicit ones use plain StandardScaler, to match scikit-learn.
 */
export function standardizeWinsorized(
  x: Float64Array,
  y: Float64Array,
  tail = 0.001,
): Standardized {
  const clip = (values: Float64Array) => {
    const step = Math.max(1, Math.floor(values.length / SAMPLE));
    const sample = new Float64Array(Math.ceil(values.length / step));
    for (let i = 0, k = 0; i < values.length; i += step, k += 1) sample[k] = values[i] as number;
    return columnStats(values, selectQuantile(sample, tail), selectQuantile(sample, 1 - tail));
  };
  return scaleBy(x, y, clip(x), clip(y));
}
