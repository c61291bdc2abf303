/**
 * `pnpm bench:outputs`: the cost of the dashboard outputs of issue #6 (results in BENCHMARKS.md).
 *
 *   node bench/outputs.ts [--quick] [--rides N] [--runs K]
 *
 * A simulated day's output/date=D/rides.jsonl goes into the S3-API server (s3rver); then, each
 * in a fresh process under /usr/bin/time and interleaved run by run:
 *   parse    read the JSONL from S3 and JSON.parse every line: the floor for any converter;
 *   outputs  what load-D does next: rides.parquet and report.html, written back to S3;
 *   duckdb   DuckDB's COPY of the same JSONL to Snappy Parquet, local file to local file.
 * Tables go to standard output (Markdown), progress to standard error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { keys } from '@etml/domain';
import { ndjsonChunks } from '@etml/storage';
import { simulatedOutputDay } from '@etml/testing/output-day';
import {
  BENCH_DATE,
  count,
  int,
  machine,
  mb,
  median,
  progress,
  ratio,
  seconds,
  table,
  timed,
} from './lib.ts';
import { cleanUp, cleanups, startS3 } from './services.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'outputs-child.ts');
const SIDES = ['parse', 'outputs', 'duckdb'] as const;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    rides: { type: 'string' },
    runs: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: node bench/outputs.ts [--quick] [--rides N (default 1000000)] [--runs K (default 3)]\n  --quick: 200k rides, 1 run\n',
  );
  process.exit(0);
}
const rides = int(values.rides, values.quick ? 200_000 : 1_000_000);
const runs = int(values.runs, values.quick ? 1 : 3);

const dir = mkdtempSync(join(tmpdir(), 'etml-bench-outputs-'));
cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
try {
  const { store, settings } = await startS3(dir);
  progress(`writing a ${count(rides)}-ride rides.jsonl to S3`);
  const jsonl = await store.putStream(
    keys.output(BENCH_DATE, 'rides.jsonl'),
    ndjsonChunks(simulatedOutputDay({ date: BENCH_DATE, rides, seed: 42 })),
    'application/x-ndjson',
  );
  const local = join(dir, 'rides.jsonl');
  writeFileSync(local, await store.getBytes(keys.output(BENCH_DATE, 'rides.jsonl')));

  const results = new Map<string, { seconds: number[]; rss: number[]; bytes: number }>();
  for (let run = 1; run <= runs; run += 1) {
    for (const side of SIDES) {
      progress(`run ${run}/${runs}: ${side}`);
      const args =
        side === 'duckdb'
          ? [CHILD, side, local, join(dir, 'duck.parquet')]
          : [CHILD, side, BENCH_DATE, jsonl.sha256];
      process.env.ETML_BENCH_S3 = JSON.stringify(settings);
      const done = await timed(process.execPath, args);
      const out = JSON.parse(done.stdout) as { bytes: number };
      const entry = results.get(side) ?? { seconds: [], rss: [], bytes: 0 };
      entry.seconds.push(done.elapsed);
      entry.rss.push(done.peakRss);
      entry.bytes = out.bytes;
      results.set(side, entry);
    }
  }
  const floor = median(results.get('parse')?.seconds ?? []);
  process.stdout.write(
    `${machine()}\n\n${count(rides)} rides, ${mb(jsonl.bytes)} MB of JSONL; median of ${runs} run(s), each side a fresh process\n\n`,
  );
  process.stdout.write(
    `${table(
      ['side', 'seconds', 'vs parse', 'peak RSS (MB)', 'written (MB)'],
      SIDES.map(side => {
        const r = results.get(side);
        const s = median(r?.seconds ?? []);
        const written = side === 'parse' ? '–' : mb(r?.bytes ?? Number.NaN);
        return [side, seconds(s), ratio(s, floor), mb(median(r?.rss ?? [])), written];
      }),
    )}\n`,
  );
} finally {
  await cleanUp();
}
