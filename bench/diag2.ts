import { statSync } from 'node:fs';
import { clusterRides, injectAnomalies, reasonNames } from '@etml/clustering';
import { tlcSample } from '@etml/fixtures';
import { openTlcFile, tlcRides, ZoneClock } from '@etml/ingest';
import { seededRandom } from '@etml/simulate';
const path = tlcSample.yellow201501Csv;
const file = await openTlcFile(path, statSync(path).size);
const days = new Map<string, { distance: number[]; time: number[] }>();
for await (const row of tlcRides(file!, new ZoneClock('America/New_York'))) {
  if (!row.ok) continue;
  const day = days.get(row.date) ?? { distance: [], time: [] };
  day.distance.push(row.ride.ride_dist as number); day.time.push(row.ride.ride_time as number); days.set(row.date, day);
}
const distance = [...days.values()].flatMap(d => d.distance);
const time = [...days.values()].flatMap(d => d.time);
for (let seed = 0; seed < 3; seed++) {
  const day = injectAnomalies('month', distance, time, seededRandom('q', 'm', seed));
  const r = clusterRides(day.distance, day.time);
  for (let i = 0; i < day.distance.length; i++) if (day.injected[i] && !r.anomaly[i]) console.log(seed, day.injected[i], day.distance[i].toFixed(2), (day.time[i]*60).toFixed(1), (day.distance[i]/day.time[i]).toFixed(1), r.score[i]);
}
