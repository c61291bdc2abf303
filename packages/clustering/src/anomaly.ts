import { selectQuantile } from './standardize.ts';
/** Why a ride is anomalous, relative to the day's other rides. */
export const ANOMALY_REASONS = ['long_distance', 'long_time', 'high_speed', 'low_speed'] as const;
export type AnomalyReason = (typeof ANOMALY_REASONS)[number];

const LONG_DISTANCE = 1;
const LONG_TIME = 2;
const HIGH_SPEED = 4;
const LOW_SPEED = 8;

/** How far (in robust standard deviations of log time) a ride's time may be from its peers'. */
export const SPEED_Z_LIMIT = 3.5;
/**
 * The spread of log time is taken as at least this, so a ride is too slow or too fast only when
 * it is at least e^(3.5 × 0.15) ≈ 1.7 times off its peers, however regular the day is.
 */
const MIN_SPREAD = 0.15;
/**
 * A ride is too fast only when it is also faster than this share of the day's rides (or than
 * the upper fence of the day's speeds): a quick hop or a night run on the highway is not news.
 */
const FAST_QUANTILE = 0.99;
/** A ride this many times faster than the day's 98th-percentile speed is too fast, whatever its peers do. */
const BEYOND_QUANTILE = 0.98;
const BEYOND_FAST = 1.75;
/** Nor when its distance is under this share of the day's median (a few metres in a second). */
const SHORTEST_MEASURABLE = 0.1;
/**
 * A distance is rare when rides lie this many times more thinly around it (in log distance)
 * than around the day's densest tenth of rides.
 */
export const RARITY_LIMIT = 30;
/**
 * Or when rides lie CLIFF_LIMIT times more thinly around it than around the densest of the
 * shorter rides within CLIFF_WINDOW (half its distance), and it is at least RARE_FOR_CLIFF
 * times thinner than the densest tenth anyway: a ride just past the end of the day's bulk.
 */
const CLIFF_LIMIT = 12;
const CLIFF_WINDOW = Math.log(2);
const RARE_FOR_CLIFF = 5;
/**
 * Or when it is far out by Tukey's rule on a log scale: beyond the upper quartile of log distance
 * by FAR_OUT interquartile ranges. Airport runs are well inside; on a day too small to measure
 * densities, a ride ten times longer than the rest is not.
 */
const FAR_OUT = 3;
/** The densest tenth: the 90th percentile of the rides' densities. */
const DENSE_QUANTILE = 0.9;
/** Rides longer in time than this share of the day's are long_time, when anomalous. */
const LONG_TIME_QUANTILE = 0.95;
/** At most this many rides are read to fit the day's profile. */
const PROFILE_SAMPLE = 20_000;
/** Rides per distance band of the time-for-distance fit, and bands at most. */
const BAND_RIDES = 30;
const MAX_BANDS = 40;
/** A band's spread is measured over at least this many rides, its neighbours' included. */
const SPREAD_RIDES = 250;
/** Rides of no distance are their own peers when there are at least this many of them. */
const STILL_PEERS = 10;
/** Points of each profile curve: 0.1 % of a day's log-distance range or finer. */
const CURVE_POINTS = 2_048;
/** Times are read as at least a second, so a trip of no time has a finite, huge speed. */
const MIN_TIME_HOURS = 1 / 3600;

/** What the day's rides look like: the profile each ride is judged against. */
export interface DayProfile {
  /** Rides the profile was fitted on (an evenly spaced sample of at most 20,000). */
  sample: number;
  /** Time for distance: bands of rides by distance, each with its typical log time and spread. */
  bands: { upToKm: number; medianMinutes: number; spread: number }[];
  /** Median distance and time of the day: a ride is long only beyond these. */
  medianKm: number;
  medianMinutes: number;
  /** The speed (km/h) a ride must beat to be too fast (see FAST_QUANTILE). */
  fastKmh: number;
  /** Share of the day's rides per unit of log distance around its densest tenth of rides. */
  denseDensity: number;
}

export interface AnomalyResult {
  anomaly: Uint8Array;
  /** Bit set per ride: long_distance 1, long_time 2, high_speed 4, low_speed 8. */
  reasons: Uint8Array;
  /** Severity: 1 on the line between normal and anomalous, larger is more anomalous. */
  score: Float64Array;
  profile: DayProfile;
}

/** Every step-th index, for at most PROFILE_SAMPLE of n. */
function sampleStep(n: number): number {
  return Math.max(1, Math.floor(n / PROFILE_SAMPLE));
}

/** The first index of sorted `values` whose value is at least `x` (values.length if none). */
function lowerBound(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Log distance of a ride, with no distance read as the shortest distance the day has. */
type LogDistance = (km: number) => number;

/**
 * The typical log time for a distance: equal-count bands of rides by distance, joined by straight
 * lines between each band's median (log distance, log time), level below the first band and at
 * the last band's speed beyond the last. Each band's spread is the robust standard deviation
 * (1.4826 × MAD) of its rides' distance from that line, so the trend within a band does not
 * count as spread. Rides of one distance share a band.
 */
class TimeForDistance {
  readonly upTo: Float64Array;
  readonly centre: Float64Array;
  readonly median: Float64Array;
  readonly spread: Float64Array;
  private readonly logDistance: LogDistance;
  /** Rides of no distance, when there are enough of them to be each other's peers. */
  private readonly still: { median: number; spread: number } | undefined;

  get hasStill(): boolean {
    return this.still !== undefined;
  }

  /** `d` and `lt`: the sample's distances and log times, in any order; `sorted`: `d` sorted. */
  constructor(d: Float64Array, lt: Float64Array, sorted: Float64Array, logDistance: LogDistance) {
    this.logDistance = logDistance;
    // A meter that ran without moving is judged against the day's other such rides: an 18-minute
    // wait is common among them, and a 5-hour one is not.
    const zeros = lowerBound(sorted, Number.MIN_VALUE);
    const stillPeers = zeros >= STILL_PEERS && zeros < sorted.length;
    if (stillPeers) {
      const still = lt.filter((_, i) => d[i] === 0);
      const median = selectQuantile(still, 0.5);
      for (let i = 0; i < still.length; i += 1) still[i] = Math.abs((still[i] as number) - median);
      this.still = { median, spread: Math.max(MIN_SPREAD, 1.4826 * selectQuantile(still, 0.5)) };
    }
    const first = stillPeers ? zeros : 0;
    const n = sorted.length - first;
    const wanted = Math.max(1, Math.min(MAX_BANDS, Math.floor(n / BAND_RIDES)));
    const edges: number[] = [];
    for (let k = 1; k <= wanted; k += 1) {
      const edge = sorted[first + Math.min(n, Math.ceil((k * n) / wanted)) - 1] as number;
      if (edges.length === 0 || edge > (edges[edges.length - 1] as number)) edges.push(edge);
    }
    edges[edges.length - 1] = Number.POSITIVE_INFINITY;
    this.upTo = Float64Array.from(edges);
    const bands = edges.length;
    // The rides grouped by band (a counting sort): band k is [offset[k], offset[k + 1]).
    const band = new Int32Array(d.length).fill(-1);
    const offset = new Int32Array(bands + 1);
    for (let i = 0; i < d.length; i += 1) {
      if (stillPeers && d[i] === 0) continue;
      const k = lowerBound(this.upTo, d[i] as number);
      band[i] = k;
      offset[k + 1] = (offset[k + 1] as number) + 1;
    }
    for (let k = 0; k < bands; k += 1)
      offset[k + 1] = (offset[k + 1] as number) + (offset[k] as number);
    const at = offset.slice(0, bands);
    const km = new Float64Array(offset[bands] as number);
    const times = new Float64Array(km.length);
    for (let i = 0; i < d.length; i += 1) {
      const k = band[i] as number;
      if (k < 0) continue;
      const j = at[k] as number;
      at[k] = j + 1;
      km[j] = d[i] as number;
      times[j] = lt[i] as number;
    }
    this.centre = new Float64Array(bands);
    this.median = new Float64Array(bands);
    this.spread = new Float64Array(bands);
    for (let k = 0; k < bands; k += 1) {
      const a = offset[k] as number;
      const b = offset[k + 1] as number;
      this.centre[k] = logDistance(selectQuantile(km.slice(a, b), 0.5));
      this.median[k] = selectQuantile(times.slice(a, b), 0.5);
    }
    const residuals = new Float64Array(km.length);
    for (let j = 0; j < km.length; j += 1) {
      residuals[j] = Math.abs((times[j] as number) - this.expected(logDistance(km[j] as number)));
    }
    // Each band's spread pools its neighbours' rides too, until SPREAD_RIDES: a MAD of a few
    // dozen rides swings by a fifth, and an underestimate flags ordinary rides.
    for (let k = 0; k < bands; k += 1) {
      let a = Math.max(0, k - 1);
      let b = Math.min(bands, k + 2);
      while ((offset[b] as number) - (offset[a] as number) < SPREAD_RIDES && (a > 0 || b < bands)) {
        if (a > 0) a -= 1;
        if (b < bands) b += 1;
      }
      const pooled = residuals.slice(offset[a], offset[b]);
      this.spread[k] = Math.max(MIN_SPREAD, 1.4826 * selectQuantile(pooled, 0.5));
    }
  }

  /** The typical log time at log distance u. */
  expected(u: number): number {
    const { centre, median } = this;
    const last = centre.length - 1;
    if (u <= (centre[0] as number)) return median[0] as number;
    if (u >= (centre[last] as number))
      return (median[last] as number) + u - (centre[last] as number);
    const k = lowerBound(centre, u);
    const c0 = centre[k - 1] as number;
    const c1 = centre[k] as number;
    const m0 = median[k - 1] as number;
    const m1 = median[k] as number;
    return c1 === c0 ? m1 : m0 + ((m1 - m0) * (u - c0)) / (c1 - c0);
  }

  /** The spread of the band a distance falls in. */
  spreadAt(distance: number): number {
    return this.spread[lowerBound(this.upTo, distance)] as number;
  }

  /** How many spreads a ride's log time is from the typical one for its distance. */
  z(distance: number, logTime: number): number {
    if (distance === 0 && this.still) return (logTime - this.still.median) / this.still.spread;
    return (logTime - this.expected(this.logDistance(distance))) / this.spreadAt(distance);
  }
}

/**
 * Density of rides in log distance by k nearest neighbours: k over twice the distance to the
 * k-th nearest ride of the sample. It adapts its width to the data, so the edge of a dense
 * stretch stays sharp and a thin tail reads as thin.
 */
class LogDensity {
  private readonly sorted: Float64Array;
  private readonly k: number;
  constructor(sortedLog: Float64Array) {
    this.sorted = sortedLog;
    // n^0.35 neighbours, and at least 12 (small days need a steadier estimate), but no more than a
    // quarter of a tiny day, or three far rides would read as dense as the rest.
    const n = sortedLog.length;
    this.k = Math.max(1, Math.min(Math.max(12, Math.round(n ** 0.35)), Math.floor(n / 4)));
  }
  at(u: number): number {
    const { sorted, k } = this;
    const n = sorted.length;
    if (k < 1) return Number.POSITIVE_INFINITY;
    // The k nearest form a run sorted[a .. a+k-1]; find the a where the run's far ends balance.
    const rank = lowerBound(sorted, u);
    let lo = Math.max(0, rank - k);
    let hi = Math.min(rank, n - k);
    while (lo < hi) {
      const a = (lo + hi) >>> 1;
      if (u - (sorted[a] as number) > (sorted[a + k] as number) - u) lo = a + 1;
      else hi = a;
    }
    const radius = Math.max(u - (sorted[lo] as number), (sorted[lo + k - 1] as number) - u);
    return radius === 0 ? Number.POSITIVE_INFINITY : k / (n * 2 * radius);
  }
}

/**
 * Functions of log distance sampled at CURVE_POINTS evenly spaced points from `lo` by `step`,
 * interleaved (point k of function m at k × count + m) so one ride's lookups share cache lines:
 * the day's profile is fitted once, and a million rides are judged against it by straight lines
 * between the points, at the cost of a table lookup each.
 */
function sampleCurves(
  lo: number,
  step: number,
  fs: readonly ((u: number) => number)[],
): Float64Array {
  const values = new Float64Array(CURVE_POINTS * fs.length);
  for (let k = 0; k < CURVE_POINTS; k += 1) {
    fs.forEach((f, m) => {
      values[k * fs.length + m] = f(lo + k * step);
    });
  }
  return values;
}

/**
 * How rare a distance is for the day, as a score that is 1 on the line: the larger of
 * - how much more thinly rides lie around it than around the day's densest tenth of rides, on a
 *   log scale where RARITY_LIMIT times thinner is 1, and
 * - past a cliff: how much more thinly than around the densest shorter rides within half its
 *   distance, where CLIFF_LIMIT times is 1; counted only for a ride RARE_FOR_CLIFF times thinner
 *   than the densest tenth, so the shoulder of a busy day is no cliff;
 * - how far out it is: its log distance past the upper quartile, in FAR_OUT interquartile ranges.
 */
class Rarity {
  readonly dense: number;
  private readonly density: LogDensity;
  private readonly sorted: Float64Array;
  /** The densest sample point among those within CLIFF_WINDOW below each one. */
  private readonly before: Float64Array;

  private readonly upperQuartile: number;
  private readonly farOut: number;

  constructor(sortedLog: Float64Array) {
    this.sorted = sortedLog;
    this.density = new LogDensity(sortedLog);
    const n = sortedLog.length;
    this.upperQuartile = n > 0 ? (sortedLog[Math.floor(0.75 * (n - 1))] as number) : 0;
    const iqr = n > 0 ? this.upperQuartile - (sortedLog[Math.floor(0.25 * (n - 1))] as number) : 0;
    this.farOut = FAR_OUT * iqr;
    const at = sortedLog.map(u => this.density.at(u));
    const finite = at.filter(Number.isFinite);
    this.dense = finite.length > 0 ? selectQuantile(finite, DENSE_QUANTILE) : Number.NaN;
    this.before = new Float64Array(at.length);
    // A sliding-window maximum: indices of falling densities, oldest first.
    const window = new Int32Array(at.length);
    let head = 0;
    let tail = 0;
    for (let j = 0; j < at.length; j += 1) {
      while (tail > head && (at[window[tail - 1] as number] as number) <= (at[j] as number))
        tail -= 1;
      window[tail++] = j;
      while (
        (sortedLog[window[head] as number] as number) <
        (sortedLog[j] as number) - CLIFF_WINDOW
      )
        head += 1;
      this.before[j] = at[window[head] as number] as number;
    }
  }

  score(u: number): number {
    const far = this.farOut > 0 ? Math.max(0, (u - this.upperQuartile) / this.farOut) : 0;
    if (!(this.dense > 0 && Number.isFinite(this.dense))) return far;
    const here = this.density.at(u);
    const ratio = here / this.dense;
    if (!(ratio < 1)) return far;
    const thin = Math.log(1 / ratio) / Math.log(RARITY_LIMIT);
    if (!(ratio < 1 / RARE_FOR_CLIFF)) return Math.max(thin, far);
    const shorter = this.before[Math.max(0, lowerBound(this.sorted, u) - 1)] as number;
    const cliff = Math.log(Math.max(shorter, here) / here) / Math.log(CLIFF_LIMIT);
    return Math.max(thin, cliff, far);
  }
}

/** The day's profile as flat numbers and curves, for the per-ride loop. */
interface DayLines {
  lo: number;
  hi: number;
  width: number;
  /** Expected log time, its spread and the rarity score, interleaved (sampleCurves). */
  curves: Float64Array;
  medianKm: number;
  measurableKm: number;
  fastKmh: number;
  typicalFastKmh: number;
  longLogTime: number;
  /** Rides of this distance are judged exactly (0 when no-distance rides are their own peers). */
  exactFor: number;
}

interface Verdicts {
  anomaly: Uint8Array;
  reasons: Uint8Array;
  score: Float64Array;
}

const BEYOND_SCALE = Math.log(BEYOND_FAST);

/**
 * A ride's score and, when it is an anomaly, its reasons, from its time-for-distance z and its
 * rarity measure.
 */
function record(
  i: number,
  di: number,
  hours: number,
  z: number,
  rarityScore: number,
  day: DayLines,
  out: Verdicts,
): void {
  const speed = di / hours;
  const measurable = di >= day.measurableKm;
  let speedScore =
    (z < 0 && !(measurable && speed > day.fastKmh) ? 0 : Math.abs(z)) / SPEED_Z_LIMIT;
  // Far faster than the day's fast rides is too fast at any distance: 100 km/h on a 15 km
  // ride is only 2.5 times its peers on the expressway, but no taxi averages it.
  let beyondDay = 0;
  if (measurable && speed > day.typicalFastKmh) {
    beyondDay = Math.log(speed / day.typicalFastKmh) / BEYOND_SCALE;
    if (beyondDay > speedScore) speedScore = beyondDay;
  }
  // Rounded so the score reads the same in every output and the same input gives the same bytes.
  const s = Math.round(Math.max(speedScore, rarityScore) * 1_000) / 1_000;
  out.score[i] = s;
  if (s >= 1) {
    out.anomaly[i] = 1;
    let bits = 0;
    if (rarityScore >= 1) bits |= LONG_DISTANCE;
    if (speedScore >= 1) bits |= z > 0 && beyondDay < 1 ? LOW_SPEED : HIGH_SPEED;
    if (Math.log(hours) > day.longLogTime) bits |= LONG_TIME;
    // Rounding may lift a score to 1 whose reasons were each just under it: name the larger.
    if (bits === 0 || bits === LONG_TIME)
      bits |= rarityScore >= speedScore ? LONG_DISTANCE : z > 0 ? LOW_SPEED : HIGH_SPEED;
    out.reasons[i] = bits;
  }
}

/** Judges every ride the curves cover; returns the others. */
function judgeOnCurves(
  distance: Float64Array,
  time: Float64Array,
  day: DayLines,
  out: Verdicts,
): number[] {
  const { lo, hi, width, curves, medianKm, exactFor } = day;
  const last = CURVE_POINTS - 2;
  const off: number[] = [];
  for (let i = 0; i < distance.length; i += 1) {
    const di = distance[i] as number;
    const u = di > 0 ? Math.max(Math.log(di), lo) : lo;
    if (di === exactFor || !(width > 0 && u <= hi)) {
      off.push(i);
      continue;
    }
    const hours = Math.max(time[i] as number, MIN_TIME_HOURS);
    const x = (u - lo) / width;
    const k = Math.min(Math.floor(x), last);
    const f = x - k;
    const j = 3 * k;
    const e0 = curves[j] as number;
    const s0 = curves[j + 1] as number;
    const z =
      (Math.log(hours) - (e0 + ((curves[j + 3] as number) - e0) * f)) /
      (s0 + ((curves[j + 4] as number) - s0) * f);
    let rarityScore = 0;
    if (di > medianKm) {
      const r0 = curves[j + 2] as number;
      rarityScore = r0 + ((curves[j + 5] as number) - r0) * f;
    }
    record(i, di, hours, z, rarityScore, day, out);
  }
  return off;
}

/**
 * Which rides are anomalous, why, and how much (the README's "Clustering and anomalies" says why
 * this model, and BENCHMARKS.md how well it does).
 *
 * Two questions, each answered against the day's own rides, so a day of airport runs and a
 * simulated day are judged by their own shapes:
 * - Is the time right for the distance? A ride's log time against its band of similar distances
 *   (TimeForDistance), in robust standard deviations over SPEED_Z_LIMIT: too slow or too fast.
 * - Is the distance one the day rarely sees? Beyond the median distance only (Rarity): density,
 *   not distance, so a dense mode of airport runs is normal and a thin tail is not.
 * The score is the larger of the two, each 1 on its line; a ride is anomalous from 1 up. DBSCAN's
 * labels are not used: its clusters on linear distance and time cannot tell a second dense mode
 * from a thin tail at every volume.
 */
export function explainAnomalies(distance: Float64Array, time: Float64Array): AnomalyResult {
  const n = distance.length;
  const step = sampleStep(n);
  const size = Math.ceil(n / step);
  const d = new Float64Array(size);
  const lt = new Float64Array(size);
  const speeds = new Float64Array(size);
  const positiveLog = new Float64Array(size);
  let positive = 0;
  for (let i = 0, k = 0; i < n; i += step, k += 1) {
    const km = distance[i] as number;
    const hours = Math.max(time[i] as number, MIN_TIME_HOURS);
    d[k] = km;
    lt[k] = Math.log(hours);
    speeds[k] = km / hours;
    if (km > 0) positiveLog[positive++] = Math.log(km);
  }
  const logDistances = positiveLog.subarray(0, positive).sort();
  const shortest = logDistances.length > 0 ? (logDistances[0] as number) : 0;
  const logDistance = (km: number) => (km > 0 ? Math.max(Math.log(km), shortest) : shortest);
  const sortedDistance = d.slice().sort();
  const fit = new TimeForDistance(d, lt, sortedDistance, logDistance);
  const rarity = new Rarity(logDistances);
  const medianKm = sortedDistance[Math.floor((size - 1) / 2)] as number;
  const measurableKm = SHORTEST_MEASURABLE * medianKm;
  // The 99th percentile, or Tukey's far-out fence on log speed when lower: on a small day the
  // percentile is the anomalies' own speed.
  const q1 = selectQuantile(speeds, 0.25);
  const q3 = selectQuantile(speeds, 0.75);
  const fence = q1 > 0 ? q3 * (q3 / q1) ** 3 : Number.POSITIVE_INFINITY;
  const fastKmh = Math.min(selectQuantile(speeds, FAST_QUANTILE), fence);
  // The fast rides' speed before the fastest 2 %, which a day's own speeders would move.
  const typicalFastKmh = Math.min(selectQuantile(speeds, BEYOND_QUANTILE), fence);
  lt.sort();
  const medianLogTime = lt[Math.floor((size - 1) / 2)] as number;
  const longLogTime = lt[Math.floor(LONG_TIME_QUANTILE * (size - 1))] as number;

  const lo = shortest;
  const hi = positive > 0 ? (logDistances[positive - 1] as number) : 0;
  const width = hi > lo ? (hi - lo) / (CURVE_POINTS - 1) : 0;
  const day: DayLines = {
    lo,
    hi,
    width,
    curves: sampleCurves(lo, width, [
      u => fit.expected(u),
      u => fit.spreadAt(Math.exp(u)),
      u => rarity.score(u),
    ]),
    medianKm,
    measurableKm,
    fastKmh,
    typicalFastKmh,
    longLogTime,
    exactFor: fit.hasStill ? 0 : -1,
  };
  const anomaly = new Uint8Array(n);
  const reasons = new Uint8Array(n);
  const score = new Float64Array(n);
  const out = { anomaly, reasons, score };
  // Rides off the curves (no distance, when those are each other's peers; beyond the sample's
  // longest) are few: they are judged by the exact functions.
  for (const i of judgeOnCurves(distance, time, day, out)) {
    const di = distance[i] as number;
    const hours = Math.max(time[i] as number, MIN_TIME_HOURS);
    const rarityScore = di > medianKm ? rarity.score(Math.log(di)) : 0;
    record(i, di, hours, fit.z(di, Math.log(hours)), rarityScore, day, out);
  }
  return {
    anomaly,
    reasons,
    score,
    profile: {
      sample: size,
      bands: Array.from(fit.upTo, (upTo, k) => ({
        upToKm: upTo,
        medianMinutes: 60 * Math.exp(fit.median[k] as number),
        spread: fit.spread[k] as number,
      })),
      medianKm,
      medianMinutes: 60 * Math.exp(medianLogTime),
      fastKmh,
      denseDensity: rarity.dense,
    },
  };
}

const NAMES: readonly [number, AnomalyReason][] = [
  [LONG_DISTANCE, 'long_distance'],
  [LONG_TIME, 'long_time'],
  [HIGH_SPEED, 'high_speed'],
  [LOW_SPEED, 'low_speed'],
];

/** The reason names in a bit set, in the contract's order. */
export function reasonNames(bits: number): AnomalyReason[] {
  return NAMES.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
}
