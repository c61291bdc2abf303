import { selectQuantile } from './standardize.ts';

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

/**
 * Detection quality on real days (issue #15): anomalies of the seed's kinds injected into real
 * rides, with their truth, and the rules that say which real rides are obviously impossible,
 * which already are anomalies of an injected kind, and which are ordinary.
 */

/** A seeded source of uniform numbers (the simulator's Random fits). */
export interface Uniform {
  next(): number;
  uniform(min: number, max: number): number;
}

export type InjectedKind = 'stuck' | 'fast' | 'far';

export interface RealDay {
  name: string;
  distance: Float64Array;
  time: Float64Array;
  /** Per ride: the injected kind, or null for a real ride left as it was. */
  injected: (InjectedKind | null)[];
}

/** Share of a day's rides that get an anomaly injected (at least one per day). */
export const INJECTED_SHARE = 0.015;

const HOUR = 1;
const MINUTE = HOUR / 60;

/**
 * A real ride no taxi could have made as recorded: a meter left running for hours, a trip of
 * no time over a distance, or an average speed no city taxi reaches.
 */
export function impossible(distance: number, time: number): boolean {
  if (time >= 3 * HOUR) return true;
  if (time === 0) return distance > 0;
  return distance >= 0.5 && distance / time >= 150;
}

/** A ride nobody would look at twice: 1–15 km, 5–60 min, 8–40 km/h. */
export function ordinary(distance: number, time: number): boolean {
  const speed = time > 0 ? distance / time : Number.POSITIVE_INFINITY;
  return (
    distance >= 1 &&
    distance <= 15 &&
    time >= 5 * MINUTE &&
    time <= 60 * MINUTE &&
    speed >= 8 &&
    speed <= 40
  );
}

/** What each injected kind is: a ride of at least `minKm` at the speeds given, or this far. */
export const KINDS = {
  /** Crawling at walking pace or slower: 1–5 km/h over at least 1 km. */
  stuck: { minKm: 1, kmh: [1, 5] as const },
  /** An average speed no city ride keeps: 90–160 km/h over at least 2 km. */
  fast: { minKm: 2, kmh: [90, 160] as const },
  /** 2–4 times the day's 99th-percentile distance, at the speed the ride had. */
  far: { times: [2, 4] as const },
} as const;

/**
 * Whether a real ride, as recorded, already is an anomaly of an injected kind: such rides are
 * counted with the injected ones, since no rule could flag one and not the other.
 */
export function alike(distance: number, time: number, p99Km: number): boolean {
  const speed = time > 0 ? distance / time : Number.POSITIVE_INFINITY;
  return (
    (distance >= KINDS.stuck.minKm && speed <= KINDS.stuck.kmh[1]) ||
    (distance >= KINDS.fast.minKm && speed >= KINDS.fast.kmh[0]) ||
    distance >= KINDS.far.times[0] * p99Km
  );
}

/** The 99th-percentile distance of a day. */
export function p99Km(distance: ArrayLike<number>): number {
  return selectQuantile(Float64Array.from(distance), 0.99);
}

/**
 * Injects anomalies of the seed's kinds into real rides, at magnitudes a dispatcher would call
 * anomalous (see KINDS), and returns the day with its truth. Impossible rides are left out of
 * the choice, so each injected ride was a possible one.
 */
export function injectAnomalies(
  name: string,
  distance: ArrayLike<number>,
  time: ArrayLike<number>,
  random: Uniform,
): RealDay {
  const n = distance.length;
  const d = Float64Array.from(distance);
  const t = Float64Array.from(time);
  const injected: (InjectedKind | null)[] = new Array(n).fill(null);
  const p99 = p99Km(d);
  const count = Math.max(1, Math.round(INJECTED_SHARE * n));
  const kinds: InjectedKind[] = ['stuck', 'fast', 'far'];
  for (let k = 0; k < count; k += 1) {
    const kind = kinds[k % kinds.length] as InjectedKind;
    for (let tries = 0; tries < 1_000; tries += 1) {
      const i = Math.floor(random.next() * n);
      const di = d[i] as number;
      const ti = t[i] as number;
      if (injected[i] !== null || impossible(di, ti) || ti <= 0 || di <= 0) continue;
      if (kind === 'far') {
        const far = p99 * random.uniform(KINDS.far.times[0], KINDS.far.times[1]);
        t[i] = ti * (far / di);
        d[i] = far;
      } else if (di >= KINDS[kind].minKm) {
        t[i] = di / random.uniform(KINDS[kind].kmh[0], KINDS[kind].kmh[1]);
      } else continue;
      injected[i] = kind;
      break;
    }
  }
  return { name, distance: d, time: t, injected };
}

/** Counts of a judged real day (or several, added up with addRealQuality). */
export interface RealQuality {
  rides: number;
  flagged: number;
  injected: number;
  injectedFound: number;
  impossible: number;
  impossibleFound: number;
  /** Real rides that already are anomalies of an injected kind. */
  alike: number;
  alikeFound: number;
  /** Flagged rides that are injected, impossible or alike. */
  trueFlags: number;
  ordinary: number;
  ordinaryFlagged: number;
  /** The largest share of its rides a single day flagged. */
  worstDayShare: number;
}

export function emptyRealQuality(): RealQuality {
  return {
    rides: 0,
    flagged: 0,
    injected: 0,
    injectedFound: 0,
    impossible: 0,
    impossibleFound: 0,
    alike: 0,
    alikeFound: 0,
    trueFlags: 0,
    ordinary: 0,
    ordinaryFlagged: 0,
    worstDayShare: 0,
  };
}

/** Adds one real day's flags, judged against its truth, to `into`. */
export function addRealQuality(into: RealQuality, day: RealDay, flagged: ArrayLike<number>): void {
  const p99 = p99Km(day.distance);
  let flags = 0;
  for (let i = 0; i < day.distance.length; i += 1) {
    const d = day.distance[i] as number;
    const t = day.time[i] as number;
    const isFlagged = flagged[i] === 1;
    const injected = day.injected[i] !== null;
    const isImpossible = !injected && impossible(d, t);
    const isAlike = !injected && !isImpossible && alike(d, t, p99);
    if (isFlagged) flags += 1;
    if (injected) {
      into.injected += 1;
      if (isFlagged) into.injectedFound += 1;
    }
    if (isImpossible) {
      into.impossible += 1;
      if (isFlagged) into.impossibleFound += 1;
    }
    if (isAlike) {
      into.alike += 1;
      if (isFlagged) into.alikeFound += 1;
    }
    if (isFlagged && (injected || isImpossible || isAlike)) into.trueFlags += 1;
    if (!injected && ordinary(d, t)) {
      into.ordinary += 1;
      if (isFlagged) into.ordinaryFlagged += 1;
    }
  }
  into.rides += day.distance.length;
  into.flagged += flags;
  into.worstDayShare = Math.max(into.worstDayShare, flags / day.distance.length);
}
