import { InputError } from '@etml/domain';
import { type AnomalyResult, explainAnomalies } from './anomaly.ts';
import { type DbscanParams, dbscan } from './dbscan.ts';
import { defaultDbscanParams } from './params.ts';
import { standardize, standardizeWinsorized } from './standardize.ts';
import type { Engine } from './types.ts';

export interface ClusterOptions {
  /** Both unset: the volume-aware default. One set: the other comes from the default. */
  eps?: number | undefined;
  minSamples?: number | undefined;
  engine?: Engine;
  /** At most this share of the rides is flagged, the most severe kept; labels never change. */
  maxShare?: number | undefined;
}

export interface ClusterParams extends DbscanParams {
  /** "default" when the volume-aware rule chose them. */
  source: 'default' | 'explicit';
  engine: Engine;
  /** ANOMALY_MAX_SHARE, when set. */
  maxShare?: number | undefined;
}

export interface ClusterResult extends AnomalyResult {
  labels: Int32Array;
  core: Uint8Array;
  params: ClusterParams;
  standardization: { mean: [number, number]; scale: [number, number] };
  counts: {
    rides: number;
    clusters: number;
    noise: number;
    anomalies: number;
    /** Anomalies the share cap turned back to normal (the least severe). */
    capped: number;
  };
}

/**
 * Keeps the `maxShare` most severe anomalies (ties: earlier rides first) and turns the rest back
 * to normal, reasons and all; scores stay, so a capped ride still shows how close it came.
 */
function capShare(
  result: { anomaly: Uint8Array; reasons: Uint8Array; score: Float64Array },
  maxShare: number,
): number {
  const { anomaly, reasons, score } = result;
  const allowed = Math.floor(maxShare * anomaly.length);
  const flagged: number[] = [];
  for (let i = 0; i < anomaly.length; i += 1) if (anomaly[i] === 1) flagged.push(i);
  if (flagged.length <= allowed) return 0;
  flagged.sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);
  for (const i of flagged.slice(allowed)) {
    anomaly[i] = 0;
    reasons[i] = 0;
  }
  return flagged.length - allowed;
}

/**
 * DBSCAN on standardized [ride_dist, ride_time], then the anomaly decision and its reasons.
 * With explicit eps and min_samples, scaling is StandardScaler's and `labels` are scikit-learn's.
 * The volume-aware default scales with mean and deviation taken over the middle 99.8 % of
 * values, so a few absurd rides cannot stretch the scale for all the others.
 */
export function clusterRides(
  distance: Float64Array,
  time: Float64Array,
  options: ClusterOptions = {},
): ClusterResult {
  const defaults = defaultDbscanParams(distance.length);
  const explicit = options.eps !== undefined || options.minSamples !== undefined;
  const params: ClusterParams = {
    eps: options.eps ?? defaults.eps,
    minSamples: options.minSamples ?? defaults.minSamples,
    source: explicit ? 'explicit' : 'default',
    engine: options.engine ?? 'fast',
    ...(options.maxShare === undefined ? {} : { maxShare: options.maxShare }),
  };
  if (options.maxShare !== undefined && !(options.maxShare > 0 && options.maxShare <= 1)) {
    throw new InputError(`the anomaly share cap must be in (0, 1], got ${options.maxShare}`);
  }
  const scaled = explicit ? standardize(distance, time) : standardizeWinsorized(distance, time);
  ['ride_dist', 'ride_time'].forEach((field, k) => {
    if (!Number.isFinite(scaled.mean[k]) || !Number.isFinite(scaled.scale[k])) {
      const column = k === 0 ? distance : time;
      const largest = column.reduce((a, b) => Math.max(a, b), 0);
      throw new InputError(
        `${field} values are too large to standardize (the largest is ${largest})`,
      );
    }
  });
  const { labels, core } = dbscan(scaled.x, scaled.y, params, params.engine);
  const explained = explainAnomalies(distance, time);
  const capped = options.maxShare === undefined ? 0 : capShare(explained, options.maxShare);
  let clusters = 0;
  let noise = 0;
  let anomalies = 0;
  for (let i = 0; i < labels.length; i += 1) {
    const label = labels[i] as number;
    if (label === -1) noise += 1;
    else if (label + 1 > clusters) clusters = label + 1;
    anomalies += explained.anomaly[i] as number;
  }
  return {
    ...explained,
    labels,
    core,
    params,
    standardization: { mean: scaled.mean, scale: scaled.scale },
    counts: { rides: labels.length, clusters, noise, anomalies, capped },
  };
}
