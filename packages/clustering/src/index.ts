export {
  ANOMALY_REASONS,
  type AnomalyReason,
  type DayProfile,
  explainAnomalies,
  reasonNames,
  SPEED_Z_LIMIT,
} from './anomaly.ts';
export {
  type ClusterOptions,
  type ClusterParams,
  type ClusterResult,
  clusterRides,
} from './cluster.ts';
export {
  clusterDay,
  type DayInput,
  type DayPhase,
  type DaySinks,
  type RejectedRow,
} from './day.ts';
export { checkDbscanParams, type DbscanParams, dbscan } from './dbscan.ts';
export {
  addRealQuality,
  alike,
  detectionQuality,
  emptyRealQuality,
  INJECTED_SHARE,
  type InjectedKind,
  impossible,
  injectAnomalies,
  KINDS,
  ordinary,
  p99Km,
  type Quality,
  type RealDay,
  type RealQuality,
  type TruthRide,
  type Uniform,
} from './evaluate.ts';
export { DEFAULT_MIN_SAMPLES, defaultDbscanParams } from './params.ts';
export {
  type Standardized,
  selectQuantile,
  standardize,
  standardizeWinsorized,
} from './standardize.ts';
export { type DbscanResult, ENGINES, type Engine } from './types.ts';
