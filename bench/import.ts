/**
 * `pnpm bench:import`: `etml import` of a TLC month file, time and peak RSS (issue #14; results in
 * BENCHMARKS.md).
 *
 *   node bench/import.ts [--quick] [--trips N] [--runs K] [--row-groups 100000,1000000]
 *                        [--heap-mb M]
 *
 * A month of yellow-taxi trips in the TLC's modern layout (March 2024, `@etml/testing/tlc-files`)
 * is written as a CSV and as Parquet files of each row-group size, the same trips in each. Then,
 * for each file, each command in a fresh process under /usr/bin/time, interleaved run by run:
 *   baseline   the least any reader does (bench/import-child.ts): CSV, stream the file and split
 *              it into lines; Parquet, hyparquet's parquetReadObjects a row group at a time;
 *   dry run    `etml import --file F --dry-run`: read, convert and spool per date, no S3;
 *   import     `etml import --file F` into the S3-API server (s3rver) this benchmark starts.
 * With --heap-mb, every measured command runs with V8's heap capped (--max-old-space-size): left
 * alone, V8 grows its heap well past what a program keeps alive, so peak RSS overstates what the
 * import needs; a command that completes under a cap needs no more than that.
 * Tables go to standard output (Markdown), progress to standard error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  count,
  HAS_TIME,
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
import { cleanUp, cleanups, ROOT, startS3 } from './services.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'import-child.ts');
const ETML = join(ROOT, 'bin', 'etml');
const NODE = process.execPath;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    trips: { type: 'string' },
    runs: { type: 'string' },
    'row-groups': { type: 'string' },
    'heap-mb': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: node bench/import.ts [--quick] [--trips N (default 3000000)] [--runs K (default 3)]\n' +
      '                            [--row-groups N,N (Parquet row-group sizes; default 100000,1000000)]\n' +
      "                            [--heap-mb M (cap V8's heap of every measured command at M MB)]\n" +
      '  --quick: 200k trips, 1 run\n',
  );
  process.exit(0);
}
const trips = int(values.trips, values.quick ? 200_000 : 3_000_000);
const runs = int(values.runs, values.quick ? 1 : 3);
const rowGroups = (values['row-groups'] ?? '100000,1000000').split(',').map(n => int(n, 0));
const heapMb = values['heap-mb'] === undefined ? undefined : int(values['heap-mb'], 0);

interface Input {
  title: string;
  kind: 'csv' | 'parquet';
  path: string;
  groupRows?: number;
  bytes: number;
  groups?: number;
  generated: number;
}

interface Side {
  name: string;
  args: (input: Input) => [string, string[]];
}

const SIDES: Side[] = [
  {
    name: 'baseline',
    args: input => [NODE, [CHILD, 'baseline', input.kind, input.path]],
  },
  {
    name: 'etml import --dry-run',
    args: input => [ETML, ['import', '--file', input.path, '--dry-run']],
  },
  {
    name: 'etml import (to S3)',
    args: input => [ETML, ['import', '--file', input.path]],
  },
];

const baselineName = (input: Input) =>
  input.kind === 'csv'
    ? 'baseline: stream, split lines'
    : 'baseline: parquetReadObjects per row group';

interface Result {
  seconds: number[];
  rss: number[];
  /** From the import's summary line. */
  summary?: string;
  /** Objects and bytes under raw/ after a real import. */
  uploaded?: { objects: number; bytes: number };
}

/** `imported 2999… rides into 31 days of 2024-03 from … rows (0 rejected)`: the numbers. */
const SUMMARY = /import (\d+) rides into (\d+) days of (\S+) from (\d+) rows \((\d+) rejected\)/;
const IMPORTED = /imported (\d+) rides into (\d+) days of (\S+) from (\d+) rows \((\d+) rejected\)/;

const dir = mkdtempSync(join(tmpdir(), 'etml-bench-import-'));
cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
try {
  const { store, env } = await startS3(dir);
  // `etml import` needs no Redis; its spool files go under the benchmark's directory, removed
  // with it.
  Object.assign(process.env, { ...env, TMPDIR: dir });

  const inputs: Input[] = [];
  const generate = async (
    title: string,
    kind: Input['kind'],
    file: string,
    groupRows?: number,
  ): Promise<void> => {
    progress(`generating ${title}, ${count(trips)} trips`);
    const path = join(dir, file);
    const args = [CHILD, 'generate', kind, path, String(trips)];
    const done = await timed(NODE, groupRows === undefined ? args : [...args, String(groupRows)]);
    const out = JSON.parse(done.stdout) as { bytes: number };
    inputs.push({
      title,
      kind,
      path,
      bytes: out.bytes,
      generated: done.elapsed,
      ...(groupRows === undefined ? {} : { groupRows }),
    });
  };
  await generate('CSV', 'csv', 'trips.csv');
  for (const groupRows of rowGroups) {
    await generate(
      `Parquet, ${count(groupRows)}-row groups`,
      'parquet',
      `trips-${groupRows}.parquet`,
      groupRows,
    );
  }

  if (heapMb !== undefined) {
    // The measured commands only: the generator holds a whole row group of rows as it writes.
    process.env.NODE_OPTIONS =
      `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${heapMb}`.trim();
  }
  const results = new Map<string, Result>();
  const key = (input: Input, side: Side) => `${input.path}\t${side.name}`;
  for (let run = 0; run < runs; run += 1) {
    // Rotate the order run by run, so no command always follows the same one.
    const order = SIDES.map((_, i) => SIDES[(i + run) % SIDES.length] as Side);
    for (const input of inputs) {
      for (const side of order) {
        progress(`run ${run + 1}/${runs}: ${input.title}: ${side.name}`);
        const real = side === SIDES[2];
        if (real) {
          // Start from an empty raw/, so what is there afterwards is this run's upload.
          for await (const object of store.list('raw/')) await store.delete(object.key);
        }
        const [command, args] = side.args(input);
        const done = await timed(command, args);
        const entry = results.get(key(input, side)) ?? { seconds: [], rss: [] };
        entry.seconds.push(done.elapsed);
        entry.rss.push(done.peakRss);
        if (side === SIDES[0]) {
          const out = JSON.parse(done.stdout) as { rows: number; groups?: number };
          if (out.rows !== trips) throw new Error(`baseline read ${out.rows} rows, not ${trips}`);
          if (out.groups !== undefined) input.groups = out.groups;
        } else {
          const match = (real ? IMPORTED : SUMMARY).exec(done.stderr);
          if (!match) throw new Error(`no summary line from etml import:\n${done.stderr}`);
          const [, rides, days, month, rows, rejected] = match;
          if (Number(rows) !== trips)
            throw new Error(`etml import read ${rows} rows, not ${trips}`);
          entry.summary = `${rides} rides into ${days} days of ${month} (${rejected} rejected)`;
        }
        if (real) {
          let objects = 0;
          let bytes = 0;
          for await (const object of store.list('raw/')) {
            objects += 1;
            bytes += object.size;
          }
          entry.uploaded = { objects, bytes };
        }
        results.set(key(input, side), entry);
      }
    }
  }

  process.stdout.write(
    `${machine()}\n\n${count(trips)} trips of a yellow-taxi month (2024-03, the TLC's 2019-on ` +
      `layout), ${runs} interleaved run(s) of each command, each a fresh process under ` +
      `${HAS_TIME ? '/usr/bin/time -f "%e %M"' : 'a wall clock (no /usr/bin/time: no RSS)'}; ` +
      'import uploads to an S3-API server (s3rver) on this machine' +
      `${heapMb === undefined ? '' : `; every command with --max-old-space-size=${heapMb}`}.\n`,
  );
  for (const input of inputs) {
    const floor = median(results.get(key(input, SIDES[0] as Side))?.seconds ?? []);
    const groups =
      input.groups === undefined
        ? ''
        : ` in ${input.groups} row group${input.groups === 1 ? '' : 's'}`;
    process.stdout.write(
      `\n### ${input.title}: ${mb(input.bytes)} MB, ${count(trips)} rows${groups} ` +
        `(generated in ${seconds(input.generated)} s)\n\n`,
    );
    process.stdout.write(
      `${table(
        ['command', 'runs (s)', 'median (s)', '× baseline', 'peak RSS (MB, max)'],
        SIDES.map(side => {
          const r = results.get(key(input, side));
          const s = median(r?.seconds ?? []);
          return [
            side === SIDES[0] ? baselineName(input) : side.name,
            (r?.seconds ?? []).map(seconds).join(', '),
            seconds(s),
            ratio(s, floor),
            mb(Math.max(...(r?.rss ?? []))),
          ];
        }),
      )}\n`,
    );
    const real = results.get(key(input, SIDES[2] as Side));
    if (real?.summary && real.uploaded) {
      process.stdout.write(
        `\nImported ${real.summary}: ${real.uploaded.objects} objects, ` +
          `${mb(real.uploaded.bytes)} MB of JSONL under raw/.\n`,
      );
    }
  }
} finally {
  await cleanUp();
}
