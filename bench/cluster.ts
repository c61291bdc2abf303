/**
 * `pnpm bench:cluster`: the clustering benchmarks of issue #3 (results in BENCHMARKS.md).
 *
 *   node bench/cluster.ts [--quick] [--parts engines,e2e,quality] [--sizes 5000,20000] ...
 *
 * 1. engines: the fast engine (cold in fresh processes, and warm), density-clustering and
 *    scikit-learn side by side on the same simulated day, with the seed's parameters and the
 *    volume-aware default; labels compared with the fast engine's.
 * 2. e2e: `etml cluster` on an NDJSON day against a bare Node read-parse-write of the same file.
 * 3. quality: recall on truly long rides and precision against the simulator's ground truth.
 * Tables go to standard output (Markdown), progress to standard error.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type ClusterOptions,
  clusterRides,
  type DbscanParams,
  dbscan,
  defaultDbscanParams,
  detectionQuality,
  standardize,
} from '@etml/clustering';
import {
  count,
  HAS_TIME,
  int,
  machine,
  mb,
  meanNeighbours,
  median,
  memAvailable,
  progress,
  ratio,
  run,
  seconds,
  simulateDay,
  table,
  timed,
  writeColumns,
} from './lib.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const NODE = process.execPath;
const PYTHON = '/usr/bin/python3';
const ETML = join(ROOT, 'bin', 'etml');

const USAGE = `usage: node bench/cluster.ts [options]
  --quick                 a short run: sizes 5k,20k; e2e on 100k rides; quality at 400 and 20k
  --parts LIST            engines,e2e,quality (default: all three)
  --sizes LIST            engine sizes (default 5000,20000,100000,1000000)
  --cold-runs K           fresh processes per cold measurement (default 3)
  --warm-runs K           timed in-process runs after one warm-up (default 5)
  --dc-limit S            skip density-clustering when it would take over S seconds (default 120)
  --no-sklearn            leave scikit-learn out
  --sklearn-max-gb G      skip sklearn when its estimated peak RSS is over G GB (default 8)
  --e2e-rides N           rides in the end-to-end file (default 1000000)
  --e2e-runs K            interleaved runs of each side (default 3)
  --quality-sizes LIST    quality sizes (default 400,20000,200000,1000000)
  --seeds-small K         seeds pooled at N = 400 (default 20)
  --seeds-large K         seeds at larger N (default 3 up to 200k, 2 at 1M and over)`;

function list(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const sizes = value.split(',').map(s => Number(s.trim().replace(/_/g, '')));
  if (sizes.some(n => !(Number.isInteger(n) && n >= 1))) throw new Error(`bad list: ${value}`);
  return sizes;
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      parts: { type: 'string' },
      sizes: { type: 'string' },
      'cold-runs': { type: 'string' },
      'warm-runs': { type: 'string' },
      'dc-limit': { type: 'string' },
      'no-sklearn': { type: 'boolean', default: false },
      'sklearn-max-gb': { type: 'string' },
      'e2e-rides': { type: 'string' },
      'e2e-runs': { type: 'string' },
      'quality-sizes': { type: 'string' },
      'seeds-small': { type: 'string' },
      'seeds-large': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick;
  const parts = new Set((values.parts ?? 'engines,e2e,quality').split(',').map(s => s.trim()));
  for (const part of parts) {
    if (!['engines', 'e2e', 'quality'].includes(part)) throw new Error(`unknown part: ${part}`);
  }
  const maxGb = Number(values['sklearn-max-gb'] ?? 8);
  if (!(maxGb > 0)) throw new Error(`bad --sklearn-max-gb: ${values['sklearn-max-gb']}`);
  return {
    quick,
    parts,
    sizes: list(values.sizes, quick ? [5_000, 20_000] : [5_000, 20_000, 100_000, 1_000_000]),
    coldRuns: int(values['cold-runs'], 3),
    warmRuns: int(values['warm-runs'], quick ? 3 : 5),
    dcLimit: int(values['dc-limit'], quick ? 30 : 120),
    sklearn: !values['no-sklearn'],
    sklearnMaxBytes: maxGb * 1e9,
    e2eRides: int(values['e2e-rides'], quick ? 100_000 : 1_000_000),
    e2eRuns: int(values['e2e-runs'], 3),
    qualitySizes: list(
      values['quality-sizes'],
      quick ? [400, 20_000] : [400, 20_000, 200_000, 1_000_000],
    ),
    seedsSmall: int(values['seeds-small'], quick ? 5 : 20),
    seedsLarge: values['seeds-large'] === undefined ? undefined : int(values['seeds-large'], 1),
  };
}

type Options = ReturnType<typeof readOptions>;

interface ParamSet {
  key: 'seed' | 'default';
  params(rides: number): DbscanParams;
}

const PARAM_SETS: readonly ParamSet[] = [
  { key: 'seed', params: () => ({ eps: 0.3, minSamples: 10 }) },
  { key: 'default', params: rides => defaultDbscanParams(rides) },
];

/**
 * clusterRides options for a set: none for the default, so it runs as the default configuration
 * does (defaultDbscanParams and the clipped scaling); passing the default's eps and min_samples
 * explicitly would switch to plain StandardScaler.
 */
function coreOptions(set: ParamSet, params: DbscanParams): ClusterOptions {
  return set.key === 'default' ? {} : params;
}

/** A long estimate in a readable unit. */
function duration(s: number): string {
  if (s < 3600) return `${s.toFixed(0)} s`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(0)} days`;
}

function differing(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) diff += 1;
  return diff;
}

function same(diff: number | undefined): string {
  if (diff === undefined) return '–';
  return diff === 0 ? '✓' : `✗ (${diff} differ)`;
}

// ---------------------------------------------------------------------------------------------
// Part 1: engines

interface Cold {
  standardize: number;
  dbscan: number;
  explain: number;
  core: number;
  rssBefore: number;
  peakAfterDbscan: number;
  peakEnd: number;
}

interface EngineRow {
  rides: number;
  set: ParamSet['key'];
  params: DbscanParams;
  cold: { dbscan: number; core: number; peak: number; growth: number };
  warm: { dbscan: number; core: number };
  dc: string;
  dcRatio: string;
  dcSame: string;
  sk: string;
  skRatio: string;
  skPeak: string;
  skSame: string;
}

async function coldRun(
  file: string,
  params: DbscanParams,
  scaling: ParamSet['key'],
): Promise<Cold> {
  const done = await run(NODE, [
    join(HERE, 'core-child.ts'),
    file,
    String(params.eps),
    String(params.minSamples),
    scaling === 'default' ? 'default' : 'explicit',
  ]);
  if (done.code !== 0) throw new Error(`core-child failed:\n${done.stderr}`);
  return JSON.parse(done.stdout) as Cold;
}

async function sklearnAvailable(): Promise<string | undefined> {
  if (!existsSync(PYTHON)) return undefined;
  const done = await run(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)']).catch(
    () => undefined,
  );
  return done?.code === 0 ? done.stdout.trim() : undefined;
}

/** sklearn's peak RSS: ~120 MB of Python and numpy, and ~16 bytes per neighbour pair it lists. */
function sklearnEstimate(rides: number, neighbours: number): number {
  return 120e6 + rides * (16 * neighbours + 120);
}

async function engines(options: Options, tmp: string): Promise<void> {
  const sizes = [...options.sizes].sort((a, b) => a - b);
  const skVersion = options.sklearn ? await sklearnAvailable() : undefined;
  const skCap = Math.min(options.sklearnMaxBytes, 0.6 * memAvailable() || Infinity);
  process.stderr.write(
    `\n## 1. Engines (${sizes.map(count).join(', ')}; sklearn ${skVersion ?? 'not used'})\n`,
  );

  // density-clustering: measured at small N first, so its growth can say when to stop.
  const dcHistory = new Map<ParamSet['key'], [number, number][]>();
  const dcExponent = new Map<ParamSet['key'], number>();
  const dcTime = (x: Float64Array, y: Float64Array, params: DbscanParams) => {
    const started = performance.now();
    const result = dbscan(x, y, params, 'density-clustering');
    return { seconds: (performance.now() - started) / 1000, labels: result.labels };
  };
  const calibration = options.quick ? [1_000, 2_000, 4_000] : [1_000, 2_000, 4_000, 8_000];
  for (const set of PARAM_SETS) {
    progress(`density-clustering growth, ${set.key}: ${calibration.map(count).join(', ')}`);
    const history: [number, number][] = [];
    for (const n of [500, ...calibration]) {
      const day = simulateDay(n);
      const scaled = standardize(day.distance, day.time);
      const { seconds } = dcTime(scaled.x, scaled.y, set.params(n));
      if (n !== 500) history.push([n, seconds]); // 500 only warms the JIT up
    }
    dcHistory.set(set.key, history);
  }
  /** Time at n from a least-squares power law through the three largest runs so far. */
  const dcEstimate = (key: ParamSet['key'], n: number): number => {
    const points = [...(dcHistory.get(key) ?? [])].sort((a, b) => a[0] - b[0]).slice(-3);
    const xs = points.map(([size]) => Math.log(size));
    const ys = points.map(([, time]) => Math.log(time));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let sxy = 0;
    let sxx = 0;
    xs.forEach((x, i) => {
      sxy += (x - mx) * ((ys[i] as number) - my);
      sxx += (x - mx) ** 2;
    });
    const exponent = Math.max(1.5, sxy / sxx);
    dcExponent.set(key, exponent);
    return Math.exp(my + exponent * (Math.log(n) - mx));
  };

  const rows: EngineRow[] = [];
  for (const n of sizes) {
    progress(`simulating ${count(n)} rides`);
    const day = simulateDay(n);
    const file = join(tmp, `columns-${n}.bin`);
    writeColumns(file, day.distance, day.time);
    const scaled = standardize(day.distance, day.time);
    for (const set of PARAM_SETS) {
      const params = set.params(n);
      const tag = `${count(n)} ${set.key} (eps ${params.eps.toPrecision(4)}, min_samples ${params.minSamples})`;

      progress(`${tag}: fast, ${options.coldRuns} cold processes`);
      const colds: Cold[] = [];
      for (let r = 0; r < options.coldRuns; r += 1)
        colds.push(await coldRun(file, params, set.key));

      progress(`${tag}: fast, warm`);
      let labels: Int32Array = new Int32Array(0);
      const warmDbscan: number[] = [];
      const warmCore: number[] = [];
      for (let r = 0; r <= options.warmRuns; r += 1) {
        let started = performance.now();
        labels = dbscan(scaled.x, scaled.y, params, 'fast').labels;
        if (r > 0) warmDbscan.push((performance.now() - started) / 1000);
        started = performance.now();
        clusterRides(day.distance, day.time, coreOptions(set, params));
        if (r > 0) warmCore.push((performance.now() - started) / 1000);
      }
      const fastWarm = median(warmDbscan);

      let dc = '';
      let dcRatio = '–';
      let dcSame = '–';
      const estimate = dcEstimate(set.key, n);
      if (estimate > options.dcLimit) {
        dc = `skipped (est. ${duration(estimate)})`;
      } else {
        progress(`${tag}: density-clustering (est. ${estimate.toFixed(1)} s)`);
        const result = dcTime(scaled.x, scaled.y, params);
        dcHistory.get(set.key)?.push([n, result.seconds]);
        dc = seconds(result.seconds);
        dcRatio = ratio(result.seconds, fastWarm);
        dcSame = same(differing(result.labels, labels));
      }

      let sk = 'not available';
      let skRatio = '–';
      let skPeak = '–';
      let skSame = '–';
      if (!options.sklearn) sk = 'not run';
      else if (skVersion !== undefined) {
        const needs = sklearnEstimate(n, meanNeighbours(scaled.x, scaled.y, params.eps));
        if (needs > skCap) {
          sk = `skipped (est. ${(needs / 1e9).toFixed(1)} GB)`;
        } else {
          progress(`${tag}: scikit-learn (est. ${(needs / 1e9).toFixed(2)} GB)`);
          const out = join(tmp, `sklearn-${n}-${set.key}.bin`);
          const done = await run(PYTHON, [
            join(HERE, 'sklearn_engine.py'),
            file,
            out,
            String(params.eps),
            String(params.minSamples),
          ]);
          if (done.code !== 0) {
            sk = `failed (exit ${done.code})`;
            process.stderr.write(done.stderr);
          } else {
            const report = JSON.parse(done.stdout) as { fit: number; peak: number };
            const bytes = readFileSync(out);
            const skLabels = new Int32Array(new Uint8Array(bytes).buffer);
            rmSync(out);
            sk = seconds(report.fit);
            skRatio = ratio(report.fit, fastWarm);
            skPeak = mb(report.peak);
            skSame = same(differing(skLabels, labels));
          }
        }
      }

      rows.push({
        rides: n,
        set: set.key,
        params,
        cold: {
          dbscan: median(colds.map(c => c.dbscan)),
          core: median(colds.map(c => c.core)),
          peak: Math.max(...colds.map(c => c.peakEnd)),
          growth: median(colds.map(c => c.peakEnd - c.rssBefore)),
        },
        warm: { dbscan: fastWarm, core: median(warmCore) },
        dc,
        dcRatio,
        dcSame,
        sk,
        skRatio,
        skPeak,
        skSame,
      });
    }
    rmSync(file);
  }

  const paramCells = (row: EngineRow) => [
    count(row.rides),
    row.set === 'seed' ? "seed's" : 'default',
    row.params.eps.toPrecision(4),
    String(row.params.minSamples),
  ];
  console.log(`\n## 1. Engines\n\n${machine()}\n`);
  console.log(
    `Fast engine. Cold: median of ${options.coldRuns} fresh processes, each timing its first ` +
      `call. Warm: median of ${options.warmRuns} in-process runs after a warm-up. Core = ` +
      'standardize + DBSCAN + anomaly decision (what clusterRides does). Peak RSS: the cold ' +
      'process (Node itself and the input columns included); growth: peak minus RSS before the ' +
      'core.\n',
  );
  console.log(
    table(
      [
        'N',
        'params',
        'eps',
        'min_samples',
        'DBSCAN cold (s)',
        'core cold (s)',
        'DBSCAN warm (s)',
        'core warm (s)',
        'peak RSS (MB)',
        'growth (MB)',
      ],
      rows.map(row => [
        ...paramCells(row),
        seconds(row.cold.dbscan),
        seconds(row.cold.core),
        seconds(row.warm.dbscan),
        seconds(row.warm.core),
        mb(row.cold.peak),
        mb(row.cold.growth),
      ]),
    ),
  );
  const dcRuns = PARAM_SETS.map(
    set =>
      `${set.key === 'seed' ? "seed's" : 'default'}: ${(dcHistory.get(set.key) ?? [])
        .map(([n, t]) => `${count(n)} ${seconds(t)} s`)
        .join(', ')}`,
  ).join('; ');
  const exponents = PARAM_SETS.map(
    set => `${set.key} ${(dcExponent.get(set.key) ?? Number.NaN).toFixed(2)}`,
  ).join(', ');
  console.log(
    `\nEngines side by side; × fast = time / fast DBSCAN warm. density-clustering runs in this ` +
      `process (corrected adapter), skipped over ${options.dcLimit} s by extrapolating its ` +
      `growth (power law through its three largest runs so far, with N = ${calibration.map(count).join(', ')} run first; last exponent: ${exponents}). scikit-learn ${skVersion ?? '(absent)'}: ` +
      `DBSCAN.fit alone, one core, in a fresh ${PYTHON} process; skipped when its estimated peak ` +
      `RSS (16 bytes per neighbour pair) is over ${(skCap / 1e9).toFixed(1)} GB. Labels: ✓ when ` +
      'identical to the fast engine’s.\n',
  );
  console.log(`density-clustering runs: ${dcRuns}.\n`);
  console.log(
    table(
      [
        'N',
        'params',
        'eps',
        'min_samples',
        'fast (s)',
        'density-clustering (s)',
        '× fast',
        'labels',
        'sklearn fit (s)',
        '× fast',
        'sklearn peak (MB)',
        'labels',
      ],
      rows.map(row => [
        ...paramCells(row),
        seconds(row.warm.dbscan),
        row.dc,
        row.dcRatio,
        row.dcSame,
        row.sk,
        row.skRatio,
        row.skPeak,
        row.skSame,
      ]),
    ),
  );
  const big = rows.filter(row => row.rides === 1_000_000);
  for (const row of big) {
    const timeOk = row.cold.core < 0.25;
    const memOk = row.cold.peak < 300e6;
    console.log(
      `\nTarget at 1M (${row.set}): core cold ${seconds(row.cold.core)} s < 0.25 s ` +
        `${timeOk ? '✓' : '✗'} (DBSCAN alone ${seconds(row.cold.dbscan)} s); ` +
        `peak RSS ${mb(row.cold.peak)} MB < 300 MB ${memOk ? '✓' : '✗'}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Part 2: etml cluster end to end

async function endToEnd(options: Options, tmp: string): Promise<void> {
  const rides = options.e2eRides;
  process.stderr.write(`\n## 2. etml cluster end to end (${count(rides)} rides)\n`);
  const input = join(tmp, 'rides.jsonl');
  progress(`simulating ${count(rides)} rides to ${input}`);
  await timed(ETML, [
    'simulate',
    '--date',
    '2025-07-30',
    '--rides',
    String(rides),
    '--output',
    input,
  ]);
  const size = statSync(input).size;

  const sides = {
    bare: {
      name: 'bare read-parse-write',
      command: NODE,
      args: (out: string) => [join(HERE, 'bare-rw.ts'), input, out],
      times: [] as number[],
      peaks: [] as number[],
    },
    etml: {
      name: 'etml cluster',
      command: ETML,
      args: (out: string) => ['cluster', '--input', input, '--output', out],
      times: [] as number[],
      peaks: [] as number[],
    },
  };
  for (let r = 0; r < options.e2eRuns; r += 1) {
    // Alternate which side goes first, so neither always runs right after the other.
    const order = r % 2 === 0 ? [sides.bare, sides.etml] : [sides.etml, sides.bare];
    for (const side of order) {
      const out = join(tmp, 'out.jsonl');
      progress(`run ${r + 1}: ${side.name}`);
      const result = await timed(side.command, side.args(out));
      side.times.push(result.elapsed);
      side.peaks.push(result.peakRss);
      rmSync(out, { force: true });
      rmSync(`${out}.rejected.jsonl`, { force: true });
    }
  }
  rmSync(input);

  const bareMedian = median(sides.bare.times);
  const etmlMedian = median(sides.etml.times);
  console.log(
    `\n## 2. etml cluster end to end\n\n${count(rides)} rides of NDJSON (${mb(size)} MB), ` +
      `${options.e2eRuns} interleaved runs of each, separate processes under ` +
      `${HAS_TIME ? '/usr/bin/time -f "%e %M"' : 'a wall clock (no /usr/bin/time: no RSS)'}.\n`,
  );
  console.log(
    table(
      ['command', 'runs (s)', 'median (s)', '× bare', 'peak RSS (MB, max)'],
      [sides.bare, sides.etml].map(side => [
        side.name,
        side.times.map(seconds).join(', '),
        seconds(median(side.times)),
        ratio(median(side.times), bareMedian),
        mb(Math.max(...side.peaks)),
      ]),
    ),
  );
  const r = etmlMedian / bareMedian;
  console.log(`\nTarget: etml cluster ≤ 2× bare: ${r.toFixed(2)}× ${r <= 2 ? '✓' : '✗'}`);
}

// ---------------------------------------------------------------------------------------------
// Part 3: detection quality

interface Pooled {
  trulyLong: number;
  flaggedTrulyLong: number;
  flagged: number;
  flaggedInjected: number;
  worstRecall: [number, number];
  worstPrecision: [number, number];
  params: DbscanParams;
}

function quality(options: Options): void {
  process.stderr.write('\n## 3. Detection quality\n');
  const rows: string[][] = [];
  const misses: string[] = [];
  for (const n of options.qualitySizes) {
    const seedCount =
      n <= 1_000 ? options.seedsSmall : (options.seedsLarge ?? (n >= 1_000_000 ? 2 : 3));
    const pooled = new Map<ParamSet['key'], Pooled>();
    for (let s = 0; s < seedCount; s += 1) {
      const seed = 42 + s;
      if (n > 1_000) progress(`${count(n)} rides, seed ${seed}`);
      const day = simulateDay(n, seed, true);
      for (const set of PARAM_SETS) {
        const params = set.params(n);
        const result = clusterRides(day.distance, day.time, coreOptions(set, params));
        const q = detectionQuality(day.truth ?? [], result.anomaly);
        const p = pooled.get(set.key) ?? {
          trulyLong: 0,
          flaggedTrulyLong: 0,
          flagged: 0,
          flaggedInjected: 0,
          worstRecall: [Infinity, seed],
          worstPrecision: [Infinity, seed],
          params,
        };
        p.trulyLong += q.trulyLong;
        p.flaggedTrulyLong += q.flaggedTrulyLong;
        p.flagged += q.flagged;
        p.flaggedInjected += q.flaggedInjected;
        if (q.recall < p.worstRecall[0]) p.worstRecall = [q.recall, seed];
        if (q.precision < p.worstPrecision[0]) p.worstPrecision = [q.precision, seed];
        pooled.set(set.key, p);
      }
    }
    const cells: string[] = [count(n), String(seedCount)];
    for (const set of PARAM_SETS) {
      const p = pooled.get(set.key) as Pooled;
      const recall = p.trulyLong === 0 ? 1 : p.flaggedTrulyLong / p.trulyLong;
      const precision = p.flagged === 0 ? 1 : p.flaggedInjected / p.flagged;
      const worst =
        seedCount > 1 ? `${p.worstRecall[0].toFixed(3)} / ${p.worstPrecision[0].toFixed(3)}` : '–';
      cells.push(
        `${p.flaggedTrulyLong}/${p.trulyLong}`,
        recall.toFixed(3),
        `${p.flaggedInjected}/${p.flagged}`,
        precision.toFixed(3),
        worst,
      );
      if (set.key === 'default' && !(recall >= 0.9 && precision >= 0.9)) {
        misses.push(`${count(n)}: recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)}`);
      }
    }
    rows.push(cells);
  }
  console.log(
    '\n## 3. Detection quality\n\nAgainst the simulator’s ground truth (detectionQuality): ' +
      'recall on truly long rides (long_distance over 10 km, low_speed above the normal rides’ ' +
      'p99 time) and precision (flagged rides that are injected anomalies). Seeds 42, 43, …; ' +
      'counts are summed over seeds before dividing; "worst seed" is the lowest single-seed ' +
      'recall / precision.\n',
  );
  console.log(
    table(
      [
        'N',
        'seeds',
        "seed's long found",
        'recall',
        'injected / flagged',
        'precision',
        'worst seed R / P',
        'default long found',
        'recall',
        'injected / flagged',
        'precision',
        'worst seed R / P',
      ],
      rows,
    ),
  );
  console.log(
    `\nTarget: default recall ≥ 0.9 and precision ≥ 0.9 at every N: ${
      misses.length === 0 ? '✓' : `✗ (${misses.join('; ')})`
    }`,
  );
}

async function main(): Promise<void> {
  const options = readOptions();
  const tmp = mkdtempSync(join(tmpdir(), 'etml-bench-'));
  const started = performance.now();
  try {
    console.log(`# pnpm bench:cluster ${process.argv.slice(2).join(' ')}`.trimEnd());
    if (options.parts.has('engines')) await engines(options, tmp);
    if (options.parts.has('e2e')) await endToEnd(options, tmp);
    if (options.parts.has('quality')) quality(options);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stderr.write(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

await main().catch((error: Error) => {
  process.stderr.write(`bench:cluster: ${error.message}\n${USAGE}\n`);
  process.exit(2);
});
