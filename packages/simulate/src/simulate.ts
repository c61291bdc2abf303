import { compactRideDate, InputError, type RideDate } from '@etml/domain';
import { type DayContext, dayContexts } from './contexts.ts';
import { type Random, seededRandom } from './random.ts';

export const INJECTED_ANOMALIES = ['long_distance', 'high_speed', 'low_speed'] as const;
export type InjectedAnomaly = (typeof INJECTED_ANOMALIES)[number];

/** A ride in the seed's format, plus the ground truth of what was injected. */
export interface SimulatedRide {
  ride_dist: number;
  ride_time: number;
  ride_speed: number;
  ride_id: string;
  selection_idx: number;
  news: string;
  weather: string;
  traffic: string;
  injected_anomaly: InjectedAnomaly | null;
}

export interface SimulateOptions {
  date: RideDate;
  rides: number;
  seed?: number;
}

/** The seed's mix: 92.5 % normal rides and 2.5 % of each injected anomaly. */
export const ANOMALY_SHARE = 0.025;
export const MAX_RIDES = 10_000_000;
// Normal speeds below this are redrawn: N(15, 4) reaches zero about once per 30k low-speed
// rides, and a zero or negative speed would make ride_time infinite or negative.
const MIN_SPEED_KMH = 1;

function speed(random: Random, mean: number, sd: number): number {
  for (;;) {
    const s = random.normal(mean, sd);
    if (s >= MIN_SPEED_KMH) return s;
  }
}

function draw(random: Random, kind: InjectedAnomaly | null): { dist: number; speed: number } {
  switch (kind) {
    case null:
      return { dist: random.uniform(0, 10), speed: speed(random, 30, 5) };
    case 'long_distance':
      return { dist: random.uniform(0, 30), speed: speed(random, 30, 5) };
    case 'high_speed':
      return { dist: random.uniform(0, 10), speed: speed(random, 50, 10) };
    case 'low_speed':
      return { dist: random.uniform(0, 10), speed: speed(random, 15, 4) };
  }
}

/**
 * Generates a day of rides, one at a time, so any N streams in constant memory. The same
 * (date, seed, N) always gives the same rides. Each anomaly group gets exactly
 * round(2.5 % of N) rides, spread at random: every ride draws its group from the counts still
 * left, which is a uniform random arrangement of those exact counts.
 */
export function simulateRides(options: SimulateOptions): Generator<SimulatedRide> {
  const { date, rides, seed = 42 } = options;
  // Checked here rather than in the generator, so bad options fail at the call, not at first use.
  if (!Number.isInteger(rides) || rides < 1 || rides > MAX_RIDES) {
    throw new InputError(`rides must be a whole number from 1 to ${MAX_RIDES}, got ${rides}`);
  }
  if (!Number.isSafeInteger(seed)) throw new InputError(`seed must be a whole number, got ${seed}`);
  return generate(date, rides, seed);
}

function* generate(date: RideDate, rides: number, seed: number): Generator<SimulatedRide> {
  const random = seededRandom('etml-simulate-v1', date, seed, rides);
  const contexts: DayContext[] = dayContexts(random);
  const perGroup = Math.round(rides * ANOMALY_SHARE);
  const left = new Map<InjectedAnomaly | null, number>([
    [null, rides - perGroup * INJECTED_ANOMALIES.length],
    ...INJECTED_ANOMALIES.map(kind => [kind, perGroup] as const),
  ]);
  const idPrefix = compactRideDate(date);
  for (let i = 0; i < rides; i += 1) {
    let pick = random.int(rides - i);
    let kind: InjectedAnomaly | null = null;
    for (const [candidate, count] of left) {
      if (pick < count) {
        kind = candidate;
        break;
      }
      pick -= count;
    }
    left.set(kind, (left.get(kind) as number) - 1);
    const { dist, speed: kmh } = draw(random, kind);
    const selection = random.int(contexts.length);
    const context = contexts[selection] as DayContext;
    yield {
      ride_dist: dist,
      ride_time: dist / kmh,
      ride_speed: kmh,
      ride_id: `${idPrefix}${i}`,
      selection_idx: selection,
      news: context.news,
      weather: context.weather,
      traffic: context.traffic,
      injected_anomaly: kind,
    };
  }
}
