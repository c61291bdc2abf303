export { CONTEXTS_PER_DAY, type DayContext } from './contexts.ts';
export { type Random, seededRandom } from './random.ts';
export {
  ANOMALY_SHARE,
  INJECTED_ANOMALIES,
  type InjectedAnomaly,
  MAX_RIDES,
  type SimulatedRide,
  type SimulateOptions,
  simulateRides,
} from './simulate.ts';
