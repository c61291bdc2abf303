/**
 * One step of `pnpm bench:import`, in a fresh process so its peak RSS is its own:
 *   node bench/import-child.ts generate csv FILE TRIPS
 *   node bench/import-child.ts generate parquet FILE TRIPS ROW_GROUP_ROWS
 *   node bench/import-child.ts baseline csv|parquet FILE
 * generate: a March 2024 yellow-taxi month in the TLC's modern layout (`@etml/testing/tlc-files`),
 * the same trips for every file. baseline: the least any reader of the file does, the floor for
 * `etml import`: CSV, stream the file and split it into lines; Parquet, hyparquet's
 * parquetReadObjects one row group at a time, as packages/ingest/src/tlc-file.ts reads it.
 * Prints one JSON line: seconds, bytes, rows (and row groups for Parquet).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import {
  simulatedTlcTrips,
  TLC_COLUMNS,
  tlcCsvLines,
  writeTlcParquet,
} from '@etml/testing/tlc-files';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';

const MONTH = '2024-03';
const VARIANT = 'yellow-zones';
const SEED = 14;

const [mode, kind, path, tripsArg, groupArg] = process.argv.slice(2);
if ((mode !== 'generate' && mode !== 'baseline') || path === undefined) {
  process.stderr.write(
    'usage: node bench/import-child.ts generate csv|parquet FILE TRIPS [ROW_GROUP_ROWS]\n' +
      '       node bench/import-child.ts baseline csv|parquet FILE\n',
  );
  process.exit(2);
}

const started = performance.now();
let rows = 0;
let groups: number | undefined;

if (mode === 'generate') {
  const trips = Number(tripsArg);
  const columns = TLC_COLUMNS[VARIANT];
  const source = simulatedTlcTrips({ month: MONTH, trips, variant: VARIANT, seed: SEED });
  if (kind === 'csv') {
    // Lines gathered into ~1 MB writes, with backpressure.
    const out = createWriteStream(path);
    let chunk: string[] = [];
    let length = 0;
    for (const line of tlcCsvLines(columns, source)) {
      chunk.push(line);
      length += line.length;
      if (length >= 1 << 20) {
        if (!out.write(chunk.join(''))) await once(out, 'drain');
        chunk = [];
        length = 0;
      }
    }
    out.end(chunk.join(''));
    await once(out, 'finish');
  } else {
    await writeTlcParquet(path, columns, source, { rowGroupRows: Number(groupArg) });
  }
  rows = trips;
} else if (kind === 'csv') {
  let rest = '';
  for await (const text of createReadStream(path, { encoding: 'utf8' })) {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    rows += lines.length;
  }
  if (rest !== '') rows += 1;
  rows -= 1; // the header
} else {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  // A function of its own, so no suspended frame holds one group's rows while the next is read.
  const readGroup = async (rowStart: number, rowEnd: number) =>
    (await parquetReadObjects({ file, metadata, rowStart, rowEnd })).length;
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    rows += await readGroup(start, end);
    start = end;
  }
  groups = metadata.row_groups.length;
}

process.stdout.write(
  `${JSON.stringify({
    seconds: (performance.now() - started) / 1000,
    bytes: statSync(path).size,
    rows,
    month: MONTH,
    ...(groups === undefined ? {} : { groups }),
  })}\n`,
);
