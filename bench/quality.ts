/**
 * `pnpm bench:quality`: how well the default detection does, on simulated days against the
 * simulator's truth and on real NYC taxi days with injected anomalies (issue #15). Results in
 * BENCHMARKS.md.
 *
 *   node bench/quality.ts [--quick] [--sim-sizes 400,20000] [--real-sizes 2000,20000]
 *
 * Each table comes twice: for the default model, and for the rule before issue #15 as the
 * baseline, on the same days.
 *
 * Tables go to standard output (Markdown), progress to standard error.
 */
import { parseArgs } from 'node:util';
import {
  addRealQuality,
  clusterRides,
  detectionQuality,
  emptyRealQuality,
  INJECTED_SHARE,
  injectAnomalies,
  type RealDay,
  type RealQuality,
} from '@etml/clustering';
import { seededRandom } from '@etml/simulate';
import { count, int, machine, progress, simulateDay, table } from './lib.ts';
import { flagBefore15 } from './quality-before.ts';
import { resampleDay, tlcSampleDays } from './quality-data.ts';

const USAGE = `usage: node bench/quality.ts [options]
  --quick              sim sizes 400,20000; real resampled sizes 2000,20000; fewer days
  --sim-sizes LIST     simulated day sizes (default 400,20000,200000,1000000)
  --real-sizes LIST    resampled real day sizes (default 2000,20000,200000)
  --seeds-small K      simulated days pooled at N = 400 (default 60)
  --seeds K            simulated days per larger size (default 3)
  --real-seeds K       injections per real day, and resampled days per size (default 10)`;

function list(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const sizes = value.split(',').map(s => Number(s.trim().replace(/_/g, '')));
  if (sizes.some(n => !(Number.isInteger(n) && n >= 1))) throw new Error(`bad list: ${value}`);
  return sizes;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const share = (part: number, whole: number) => (whole === 0 ? '–' : (part / whole).toFixed(3));

/** Which rides a rule flags, by distance and time. */
type Flagger = (distance: Float64Array, time: Float64Array) => Uint8Array;
const flagNow: Flagger = (distance, time) => clusterRides(distance, time).anomaly;

function scoreReal(day: RealDay, into: RealQuality, flag: Flagger): void {
  addRealQuality(into, day, flag(day.distance, day.time));
}

function realRow(name: string, days: number, s: RealQuality): string[] {
  return [
    name,
    String(days),
    count(s.rides),
    `${share(s.injectedFound, s.injected)} (${s.injectedFound}/${s.injected})`,
    `${share(s.impossibleFound, s.impossible)} (${s.impossibleFound}/${s.impossible})`,
    `${share(s.alikeFound, s.alike)} (${s.alikeFound}/${s.alike})`,
    `${share(s.trueFlags, s.flagged)} (${s.trueFlags}/${s.flagged})`,
    pct(s.flagged / s.rides),
    pct(s.worstDayShare),
    `${pct(s.ordinaryFlagged / s.ordinary)} (${s.ordinaryFlagged}/${count(s.ordinary)})`,
  ];
}

/** Days of the sample with at least this many trips are judged as days of their own. */
const MIN_DAY = 100;

async function real(sizes: number[], seeds: number, flag: Flagger): Promise<string> {
  const days = await tlcSampleDays();
  const rows: string[][] = [];
  const all = { distance: [] as number[], time: [] as number[] };
  const single = emptyRealQuality();
  let singleDays = 0;
  for (const [date, day] of [...days].sort(([a], [b]) => a.localeCompare(b))) {
    all.distance.push(...day.distance);
    all.time.push(...day.time);
    if (day.distance.length < MIN_DAY) continue;
    for (let seed = 0; seed < seeds; seed += 1) {
      scoreReal(
        injectAnomalies(date, day.distance, day.time, seededRandom('q', date, seed)),
        single,
        flag,
      );
      singleDays += 1;
    }
  }
  rows.push(realRow(`sample days of ≥ ${MIN_DAY} trips`, singleDays, single));
  const month = emptyRealQuality();
  for (let seed = 0; seed < seeds; seed += 1) {
    scoreReal(
      injectAnomalies('month', all.distance, all.time, seededRandom('q', 'm', seed)),
      month,
      flag,
    );
  }
  rows.push(realRow('the whole sample as one day', seeds, month));
  for (const n of sizes) {
    progress(`real: resampled days of ${count(n)} rides`);
    const score = emptyRealQuality();
    for (let seed = 0; seed < seeds; seed += 1) {
      const random = seededRandom('q', 'resampled', n, seed);
      const day = resampleDay(all, n, random);
      scoreReal(injectAnomalies(`r${n}`, day.distance, day.time, random), score, flag);
    }
    rows.push(realRow(`resampled, ${count(n)} rides`, seeds, score));
  }
  return table(
    [
      'real days',
      'days',
      'rides',
      'injected found',
      'impossible found',
      'real alike found',
      'precision',
      'flagged',
      'worst day',
      'ordinary flagged',
    ],
    rows,
  );
}

function simulated(sizes: number[], seedsSmall: number, seeds: number, flag: Flagger): string {
  const rows: string[][] = [];
  for (const n of sizes) {
    progress(`simulator: ${count(n)} rides`);
    const runs = n <= 400 ? seedsSmall : seeds;
    let long = 0;
    let longFound = 0;
    let flagged = 0;
    let injectedFlagged = 0;
    let worst = 1;
    for (let seed = 1; seed <= runs; seed += 1) {
      const day = simulateDay(n, seed, true);
      const q = detectionQuality(day.truth ?? [], flag(day.distance, day.time));
      long += q.trulyLong;
      longFound += q.flaggedTrulyLong;
      flagged += q.flagged;
      injectedFlagged += q.flaggedInjected;
      worst = Math.min(worst, q.recall, q.precision);
    }
    rows.push([
      count(n),
      String(runs),
      `${share(longFound, long)} (${longFound}/${long})`,
      `${share(injectedFlagged, flagged)} (${injectedFlagged}/${flagged})`,
      pct(flagged / (n * runs)),
      worst.toFixed(3),
    ]);
  }
  return table(
    ['simulated rides', 'days', 'recall (truly long)', 'precision', 'flagged', 'worst day'],
    rows,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'sim-sizes': { type: 'string' },
      'real-sizes': { type: 'string' },
      'seeds-small': { type: 'string' },
      seeds: { type: 'string' },
      'real-seeds': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick === true;
  const simSizes = list(
    values['sim-sizes'],
    quick ? [400, 20_000] : [400, 20_000, 200_000, 1_000_000],
  );
  const realSizes = list(values['real-sizes'], quick ? [2_000, 20_000] : [2_000, 20_000, 200_000]);
  // A 2,000-ride day flags about 40 rides, so one flag moves its precision by 0.025: ten
  // injections (and 60 simulated days at 400) keep the pooled figures steady to about 0.01.
  const seeds = int(values.seeds, 3);
  const realSeeds = int(values['real-seeds'], quick ? 3 : 10);
  const seedsSmall = int(values['seeds-small'], quick ? 10 : 60);
  console.log(`# Detection quality (${machine()})\n`);
  console.log(
    `Real: the NYC TLC sample (1,999 yellow-taxi trips of January 2015) with ${pct(INJECTED_SHARE)} of each day's rides changed into anomalies (stuck, fast, far); "real alike" are real rides that already are anomalies of an injected kind; precision counts injected, impossible and alike rides as true flags.\n`,
  );
  for (const [name, flag] of [
    ['The default model (issue #15)', flagNow],
    [
      'Baseline: the rule before issue #15 (outside the largest DBSCAN cluster, or speed 3.5 robust z from its median)',
      flagBefore15,
    ],
  ] as const) {
    console.log(`## ${name}\n`);
    console.log(await real(realSizes, realSeeds, flag));
    console.log('');
    console.log(simulated(simSizes, seedsSmall, seeds, flag));
    console.log('');
  }
}

await main();
