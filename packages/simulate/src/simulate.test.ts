import { addDays, InputError, parseRideDate, validateRide } from '@etml/domain';
import { describe, expect, it } from 'vitest';
import { CONTEXTS_PER_DAY } from './contexts.ts';
import {
  ANOMALY_SHARE,
  INJECTED_ANOMALIES,
  type InjectedAnomaly,
  MAX_RIDES,
  type SimulatedRide,
  simulateRides,
} from './simulate.ts';

const date = parseRideDate('2025-07-30');
const N = 100_000;
const big = [...simulateRides({ date, rides: N, seed: 7 })];

type Group = InjectedAnomaly | 'normal';
const GROUPS: Group[] = ['normal', ...INJECTED_ANOMALIES];
const groupOf = (ride: SimulatedRide): Group => ride.injected_anomaly ?? 'normal';
const byGroup = new Map<Group, SimulatedRide[]>(GROUPS.map(g => [g, []]));
for (const ride of big) byGroup.get(groupOf(ride))!.push(ride);

function stats(values: number[]) {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  const min = values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  const max = values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  return { mean, sd: Math.sqrt(variance), min, max };
}

const distances = (group: Group) => stats(byGroup.get(group)!.map(r => r.ride_dist));
const speeds = (group: Group) => stats(byGroup.get(group)!.map(r => r.ride_speed));

function take<T>(source: Iterator<T>, n: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i += 1) {
    const next = source.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describe('simulateRides', () => {
  it('gives N rides', () => {
    expect(big).toHaveLength(N);
    expect([...simulateRides({ date, rides: 1 })]).toHaveLength(1);
  });

  describe('determinism', () => {
    const run = (options: { date?: string; seed?: number; rides?: number } = {}) => [
      ...simulateRides({
        date: parseRideDate(options.date ?? '2025-07-30'),
        rides: options.rides ?? 2_000,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      }),
    ];
    const numbers = (rides: SimulatedRide[]) => rides.map(r => [r.ride_dist, r.ride_speed]);

    it('gives identical rides for the same date, seed and N', () => {
      expect(run({ seed: 5 })).toEqual(run({ seed: 5 }));
      expect(run()).toEqual(run());
    });

    it('defaults the seed to 42', () => {
      expect(run()).toEqual(run({ seed: 42 }));
    });

    it('gives different rides for a different seed', () => {
      expect(numbers(run({ seed: 6 }))).not.toEqual(numbers(run({ seed: 5 })));
    });

    it('gives different rides for a different date', () => {
      expect(numbers(run({ date: '2025-07-31' }))).not.toEqual(
        numbers(run({ date: '2025-07-30' })),
      );
    });

    it('matches the rides of the big run when repeated', () => {
      expect(take(simulateRides({ date, rides: N, seed: 7 }), 50)).toEqual(big.slice(0, 50));
    });
  });

  describe('anomaly mix', () => {
    it.each(INJECTED_ANOMALIES)('injects %s into 2.5 percent ± 0.3 of the rides', kind => {
      const share = byGroup.get(kind)!.length / N;
      expect(Math.abs(share - ANOMALY_SHARE)).toBeLessThanOrEqual(0.003);
    });

    it('leaves the rest normal', () => {
      const injected = INJECTED_ANOMALIES.reduce((sum, kind) => sum + byGroup.get(kind)!.length, 0);
      expect(byGroup.get('normal')!.length).toBe(N - injected);
      expect(byGroup.get('normal')!.length / N).toBeCloseTo(1 - 3 * ANOMALY_SHARE, 2);
      const known = new Set<unknown>([null, ...INJECTED_ANOMALIES]);
      expect(big.filter(r => !known.has(r.injected_anomaly))).toEqual([]);
    });

    it('spreads each group over the day rather than bunching it', () => {
      const firstHalf = big.slice(0, N / 2);
      for (const kind of INJECTED_ANOMALIES) {
        const early = firstHalf.filter(r => r.injected_anomaly === kind).length;
        expect(early / byGroup.get(kind)!.length).toBeGreaterThan(0.45);
        expect(early / byGroup.get(kind)!.length).toBeLessThan(0.55);
      }
    });

    it('keeps the share for a small day', () => {
      const small = [...simulateRides({ date, rides: 400 })];
      for (const kind of INJECTED_ANOMALIES) {
        expect(small.filter(r => r.injected_anomaly === kind)).toHaveLength(10);
      }
    });
  });

  describe('distributions', () => {
    it('draws normal rides from U(0, 10) km at N(30, 5) km/h', () => {
      const dist = distances('normal');
      expect(dist.mean).toBeCloseTo(5, 1);
      expect(dist.sd).toBeCloseTo(10 / Math.sqrt(12), 1);
      expect(dist.min).toBeGreaterThanOrEqual(0);
      expect(dist.max).toBeLessThan(10);
      const speed = speeds('normal');
      expect(Math.abs(speed.mean - 30)).toBeLessThan(0.15);
      expect(Math.abs(speed.sd - 5)).toBeLessThan(0.15);
    });

    it('draws long_distance rides from U(0, 30) km at N(30, 5) km/h', () => {
      const dist = distances('long_distance');
      expect(Math.abs(dist.mean - 15)).toBeLessThan(0.7);
      expect(Math.abs(dist.sd - 30 / Math.sqrt(12))).toBeLessThan(0.5);
      expect(dist.min).toBeGreaterThanOrEqual(0);
      expect(dist.max).toBeLessThan(30);
      expect(dist.max).toBeGreaterThan(25);
      const speed = speeds('long_distance');
      expect(Math.abs(speed.mean - 30)).toBeLessThan(0.5);
      expect(Math.abs(speed.sd - 5)).toBeLessThan(0.5);
    });

    it('draws high_speed rides from U(0, 10) km at N(50, 10) km/h', () => {
      const speed = speeds('high_speed');
      expect(Math.abs(speed.mean - 50)).toBeLessThan(1);
      expect(Math.abs(speed.sd - 10)).toBeLessThan(0.8);
      const dist = distances('high_speed');
      expect(Math.abs(dist.mean - 5)).toBeLessThan(0.3);
      expect(dist.max).toBeLessThan(10);
    });

    it('draws low_speed rides from U(0, 10) km at N(15, 4) km/h', () => {
      const speed = speeds('low_speed');
      expect(Math.abs(speed.mean - 15)).toBeLessThan(0.5);
      expect(Math.abs(speed.sd - 4)).toBeLessThan(0.4);
      const dist = distances('low_speed');
      expect(Math.abs(dist.mean - 5)).toBeLessThan(0.3);
      expect(dist.max).toBeLessThan(10);
    });

    it('never gives a speed below 1 km/h', () => {
      for (const group of GROUPS) expect(speeds(group).min).toBeGreaterThanOrEqual(1);
    });

    it('makes ride_time exactly ride_dist / ride_speed', () => {
      expect(big.filter(r => r.ride_time !== r.ride_dist / r.ride_speed)).toEqual([]);
    });
  });

  describe('shape', () => {
    it('gives rides that all pass validateRide unchanged', () => {
      const failures = big.map(validateRide).filter(result => !result.ok);
      expect(failures).toEqual([]);
      for (const ride of big.slice(0, 100)) expect(validateRide(ride)).toEqual({ ok: true, ride });
    });

    it('ids rides as YYYYMMDD then the index, all unique', () => {
      expect(big.filter((ride, i) => ride.ride_id !== `20250730${i}`)).toEqual([]);
      expect(big[12_345]?.ride_id).toBe('2025073012345');
      expect(new Set(big.map(r => r.ride_id)).size).toBe(N);
      const [first] = simulateRides({ date: parseRideDate('2024-02-29'), rides: 3 });
      expect(first?.ride_id).toBe('202402290');
    });

    it('gives each selection_idx its own context, three per day', () => {
      const contextsOf = new Map<number, Set<string>>();
      for (const ride of big) {
        const context = JSON.stringify([ride.news, ride.weather, ride.traffic]);
        const seen = contextsOf.get(ride.selection_idx) ?? new Set();
        contextsOf.set(ride.selection_idx, seen.add(context));
      }
      expect(CONTEXTS_PER_DAY).toBe(3);
      expect([...contextsOf.keys()].sort()).toEqual([0, 1, 2]);
      // One context per index, and a different one for each index.
      for (const seen of contextsOf.values()) expect(seen.size).toBe(1);
      expect(new Set([...contextsOf.values()].flatMap(seen => [...seen])).size).toBe(3);
      for (const ride of big.slice(0, 3)) {
        expect(ride.news.length).toBeGreaterThan(20);
        expect(ride.weather.length).toBeGreaterThan(20);
        expect(ride.traffic.length).toBeGreaterThan(20);
      }
    });

    it('gives each index a different news, weather and traffic text', () => {
      const firstOf = new Map(big.map(ride => [ride.selection_idx, ride]));
      for (const field of ['news', 'weather', 'traffic'] as const) {
        expect(new Set([...firstOf.values()].map(ride => ride[field])).size).toBe(3);
      }
    });

    it('keeps news, weather and traffic of one situation together across days', () => {
      // Days draw different situations; a text that always travels with the same other two
      // shows the fields come from one situation, not from different ones.
      const together = new Map<string, string>();
      const clashes: string[] = [];
      let start = parseRideDate('2025-01-01');
      for (let day = 0; day < 20; day += 1) {
        start = addDays(start, 1);
        for (const ride of simulateRides({ date: start, rides: 60 })) {
          const rest = JSON.stringify([ride.weather, ride.traffic]);
          const known = together.get(ride.news);
          if (known === undefined) together.set(ride.news, rest);
          else if (known !== rest) clashes.push(`${start}: ${ride.news.slice(0, 30)}`);
        }
      }
      expect(clashes).toEqual([]);
      expect(together.size).toBeGreaterThan(3);
    });

    it('picks each context for about a third of the rides', () => {
      for (const idx of [0, 1, 2]) {
        const share = big.filter(r => r.selection_idx === idx).length / N;
        expect(Math.abs(share - 1 / 3)).toBeLessThan(0.01);
      }
    });
  });

  it('is lazy: the first rides of the largest day come at once', () => {
    const started = performance.now();
    const rides = simulateRides({ date, rides: MAX_RIDES });
    const first = take(rides, 5);
    rides.return(undefined);
    expect(first.map(r => r.ride_id)).toEqual([
      '202507300',
      '202507301',
      '202507302',
      '202507303',
      '202507304',
    ]);
    // Generating all ten million would take many seconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  describe('invalid options', () => {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_RIDES + 1])(
      'refuses rides = %s with an InputError naming it',
      rides => {
        const call = () => simulateRides({ date, rides });
        expect(call).toThrow(InputError);
        expect(call).toThrow(`rides must be a whole number from 1 to ${MAX_RIDES}, got ${rides}`);
      },
    );

    it.each([1.5, Number.NaN, 2 ** 53])('refuses seed = %s with an InputError naming it', seed => {
      const call = () => simulateRides({ date, rides: 10, seed });
      expect(call).toThrow(InputError);
      expect(call).toThrow(`seed must be a whole number, got ${seed}`);
    });

    it('accepts any whole seed, negative or zero', () => {
      expect([...simulateRides({ date, rides: 5, seed: 0 })]).toHaveLength(5);
      expect([...simulateRides({ date, rides: 5, seed: -12 })]).toHaveLength(5);
    });
  });
});
