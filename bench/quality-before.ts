/**
 * The anomaly rule before issue #15, kept here as the baseline `pnpm bench:quality` prints side by
 * side: a ride is anomalous when it is outside the day's largest DBSCAN cluster (default
 * parameters), or when its speed is more than 3.5 robust standard deviations from that cluster's
 * median speed.
 */
import {
  dbscan,
  defaultDbscanParams,
  selectQuantile,
  standardizeWinsorized,
} from '@etml/clustering';

const Z = 3.5;

export function flagBefore15(distance: Float64Array, time: Float64Array): Uint8Array {
  const n = distance.length;
  const scaled = standardizeWinsorized(distance, time);
  const { labels } = dbscan(scaled.x, scaled.y, defaultDbscanParams(n), 'fast');
  const sizes = new Map<number, number>();
  for (const label of labels) if (label >= 0) sizes.set(label, (sizes.get(label) ?? 0) + 1);
  let largest = -1;
  let size = 0;
  for (const [label, count] of [...sizes].sort(([a], [b]) => a - b)) {
    if (count > size) {
      largest = label;
      size = count;
    }
  }
  const speedOf = (i: number) => {
    const t = time[i] as number;
    const d = distance[i] as number;
    return t > 0 ? d / t : d > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  };
  const speeds: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const speed = speedOf(i);
    if ((largest === -1 || labels[i] === largest) && Number.isFinite(speed)) speeds.push(speed);
  }
  const median = selectQuantile(Float64Array.from(speeds), 0.5);
  const spread =
    1.4826 *
    selectQuantile(
      Float64Array.from(speeds, s => Math.abs(s - median)),
      0.5,
    );
  const flagged = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    const z = (speedOf(i) - median) / (spread > 0 ? spread : Number.NaN);
    flagged[i] = largest === -1 || labels[i] !== largest || Math.abs(z) > Z ? 1 : 0;
  }
  return flagged;
}
