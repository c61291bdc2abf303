import { statSync } from 'node:fs';
import {
  addRealQuality,
  clusterRides,
  emptyRealQuality,
  injectAnomalies,
  type RealDay,
} from '@etml/clustering';
import { tlcSample } from '@etml/fixtures';
import { openTlcFile, tlcRides, ZoneClock } from '@etml/ingest';
import { seededRandom } from '@etml/simulate';
import { describe, expect, it } from 'vitest';

// Issue #15's targets on real trips: the bundled NYC TLC sample, with anomalies injected into
// real rides (pnpm bench:quality measures more days and volumes; BENCHMARKS.md has them).

async function sampleDays(): Promise<Map<string, { distance: number[]; time: number[] }>> {
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

function judge(day: RealDay) {
  const q = emptyRealQuality();
  addRealQuality(q, day, clusterRides(day.distance, day.time).anomaly);
  return q;
}

describe('detection on real NYC taxi trips with injected anomalies', () => {
  it('the month sample as one day: finds the injected and the impossible, flags few, spares ordinary rides', async () => {
    const days = await sampleDays();
    const distance = [...days.values()].flatMap(d => d.distance);
    const time = [...days.values()].flatMap(d => d.time);
    // Counts pooled over three injections: one day's 30 injected rides swing by ±0.05.
    const pooled = { injected: 0, found: 0, impossible: 0, impossibleFound: 0, trueFlags: 0 };
    const flagged = { all: 0, ordinary: 0, ordinaryRides: 0 };
    for (let seed = 0; seed < 3; seed += 1) {
      const r = judge(injectAnomalies('month', distance, time, seededRandom('q', 'm', seed)));
      pooled.injected += r.injected;
      pooled.found += r.injectedFound;
      pooled.impossible += r.impossible;
      pooled.impossibleFound += r.impossibleFound;
      pooled.trueFlags += r.trueFlags;
      flagged.all += r.flagged;
      flagged.ordinary += r.ordinaryFlagged;
      flagged.ordinaryRides += r.ordinary;
      expect(r.flagged / r.rides).toBeLessThanOrEqual(0.03);
    }
    expect(pooled.found / pooled.injected).toBeGreaterThanOrEqual(0.95);
    expect(pooled.impossibleFound).toBe(pooled.impossible);
    expect(pooled.impossible).toBeGreaterThan(0);
    expect(pooled.trueFlags / flagged.all).toBeGreaterThanOrEqual(0.8);
    expect(flagged.ordinary / flagged.ordinaryRides).toBeLessThanOrEqual(0.002);
  });

  it('each sample day of 100 trips or more flags at most 3 % of its rides and no ordinary one', async () => {
    const days = await sampleDays();
    let judged = 0;
    for (const [date, day] of days) {
      if (day.distance.length < 100) continue;
      judged += 1;
      const r = judge(injectAnomalies(date, day.distance, day.time, seededRandom('q', date, 0)));
      expect(r.flagged / r.rides, date).toBeLessThanOrEqual(0.03);
      expect(r.ordinaryFlagged, date).toBe(0);
    }
    expect(judged).toBe(9);
  });
});
