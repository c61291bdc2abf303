/**
 * The real days `pnpm bench:quality` judges detection on: the TLC sample's days, and days
 * resampled from it. Injection and truth are @etml/clustering's (evaluate.ts).
 */
import { statSync } from 'node:fs';
import { tlcSample } from '@etml/fixtures';
import { openTlcFile, tlcRides, ZoneClock } from '@etml/ingest';
import type { Random } from '@etml/simulate';

/** The TLC sample's rides by pickup date, as `etml import` converts them. */
export async function tlcSampleDays(): Promise<
  Map<string, { distance: number[]; time: number[] }>
> {
  const path = tlcSample.yellow201501Csv;
  const file = await openTlcFile(path, statSync(path).size);
  if (!file) throw new Error(`${path} is not a TLC file`);
  const days = new Map<string, { distance: number[]; time: number[] }>();
  for await (const row of tlcRides(file, new ZoneClock('America/New_York'))) {
    if (!row.ok) continue;
    const day = days.get(row.date) ?? { distance: [], time: [] };
    day.distance.push(row.ride.ride_dist as number);
    day.time.push(row.ride.ride_time as number);
    days.set(row.date, day);
  }
  return days;
}

/**
 * A day of `rides` real rides drawn with replacement from `pool`, each scaled by a few percent
 * of noise so no two are the same point: a real day's shape at volumes the sample does not have.
 */
export function resampleDay(
  pool: { distance: ArrayLike<number>; time: ArrayLike<number> },
  rides: number,
  random: Random,
): { distance: Float64Array; time: Float64Array } {
  const distance = new Float64Array(rides);
  const time = new Float64Array(rides);
  for (let i = 0; i < rides; i += 1) {
    const j = Math.floor(random.next() * pool.distance.length);
    distance[i] = (pool.distance[j] as number) * Math.exp(random.normal(0, 0.05));
    time[i] = (pool.time[j] as number) * Math.exp(random.normal(0, 0.05));
  }
  return { distance, time };
}
