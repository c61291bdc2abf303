import { clusterRides, reasonNames } from '@etml/clustering';
import { simulateDay } from './lib.ts';
import { alike, p99Km, impossible, injectAnomalies, ordinary } from '@etml/clustering';
import { seededRandom } from '@etml/simulate';
import { resampleDay, tlcSampleDays } from './quality-data.ts';

const which = process.argv[2] ?? 'month';
const days = await tlcSampleDays();
const all = { distance: [] as number[], time: [] as number[] };
for (const d of days.values()) {
  all.distance.push(...d.distance);
  all.time.push(...d.time);
}
let day;
if (which === 'month')
  day = injectAnomalies('m', all.distance, all.time, seededRandom('q', 'm', Number(process.env.SEED ?? 0)));
else if (which.startsWith('r')) {
  const r = seededRandom('q', 'resampled', Number(which.slice(1)), 0);
  const x = resampleDay(all, Number(which.slice(1)), r);
  day = injectAnomalies('r', x.distance, x.time, r);
} else if (which.startsWith('s')) {
  const s = simulateDay(Number(which.slice(1)), Number(process.argv[3] ?? 1), true);
  day = { distance: s.distance, time: s.time, injected: s.truth!.map(t => t.injected_anomaly) };
} else {
  const d = days.get(which)!;
  day = injectAnomalies(which, d.distance, d.time, seededRandom('q', which, 0));
}
const res = clusterRides(day.distance, day.time);
console.log(
  JSON.stringify(
    res.profile.bands.map(b => [
      +b.upToKm.toFixed(2),
      +b.medianMinutes.toFixed(1),
      +b.spread.toFixed(2),
    ]),
  ),
  res.profile.medianKm.toFixed(2),
  res.profile.fastKmh.toFixed(1),
);
const rows: string[] = [];
const P99 = p99Km(day.distance);
for (let i = 0; i < day.distance.length; i++) {
  const d = day.distance[i],
    t = day.time[i],
    inj = day.injected[i];
  const truth = inj ?? (impossible(d, t) ? 'IMPOSSIBLE' : alike(d, t, P99) ? 'ALIKE' : null);
  const flagged = res.anomaly[i] === 1;
  if (flagged || truth)
    rows.push(
      `${flagged ? 'F' : '-'} ${(truth ?? (ordinary(d, t) ? 'ORD' : '')).padEnd(12)} d=${d.toFixed(2).padStart(7)} t=${(t * 60).toFixed(1).padStart(7)}m v=${(t > 0 ? d / t : Infinity).toFixed(1).padStart(6)} s=${res.score[i].toFixed(2)} ${reasonNames(res.reasons[i]).join(',')}`,
    );
}
const lim = Number(process.env.LIM ?? 200);
rows.sort();
console.log(rows.slice(0, lim).join('\n'));
if (process.env.RANGE) {
  const [lo, hi] = process.env.RANGE.split(',').map(Number);
  const out: string[] = [];
  for (let i = 0; i < day.distance.length; i++)
    if (day.distance[i] >= lo && day.distance[i] <= hi)
      out.push(`${day.distance[i].toFixed(1)}:${res.score[i].toFixed(2)}`);
  out.sort((a, b) => parseFloat(a) - parseFloat(b));
  console.log(out.join(' '));
}
