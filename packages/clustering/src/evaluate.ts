/**
 * Detection quality against a simulated day's ground truth, as issue #3 defines it:
 * - truly long rides: injected long_distance rides over 10 km, and injected low_speed rides whose
 *   time is above the 99th percentile of the normal rides' times;
 * - recall: the share of truly long rides flagged;
 * - precision: the share of flagged rides that are injected anomalies of any kind.
 */
export interface TruthRide {
  ride_dist: number;
  ride_time: number;
  injected_anomaly: string | null;
}

export interface Quality {
  recall: number;
  precision: number;
  trulyLong: number;
  flagged: number;
  flaggedTrulyLong: number;
  flaggedInjected: number;
}

export function detectionQuality(rides: readonly TruthRide[], flagged: ArrayLike<number>): Quality {
  const normalTimes = Float64Array.from(
    rides.filter(r => r.injected_anomaly === null),
    r => r.ride_time,
  ).sort();
  const p99 = normalTimes[Math.floor(0.99 * (normalTimes.length - 1))] ?? Number.POSITIVE_INFINITY;
  let trulyLong = 0;
  let flaggedTrulyLong = 0;
  let flaggedCount = 0;
  let flaggedInjected = 0;
  rides.forEach((ride, i) => {
    const isFlagged = flagged[i] === 1;
    const long =
      (ride.injected_anomaly === 'long_distance' && ride.ride_dist > 10) ||
      (ride.injected_anomaly === 'low_speed' && ride.ride_time > p99);
    if (long) {
      trulyLong += 1;
      if (isFlagged) flaggedTrulyLong += 1;
    }
    if (isFlagged) {
      flaggedCount += 1;
      if (ride.injected_anomaly !== null) flaggedInjected += 1;
    }
  });
  return {
    recall: trulyLong === 0 ? 1 : flaggedTrulyLong / trulyLong,
    precision: flaggedCount === 0 ? 1 : flaggedInjected / flaggedCount,
    trulyLong,
    flagged: flaggedCount,
    flaggedTrulyLong,
    flaggedInjected,
  };
}
