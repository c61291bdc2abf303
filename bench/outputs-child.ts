/**
 * One side of `pnpm bench:outputs`, in a fresh process so its peak RSS is its own:
 *   ETML_BENCH_S3='{"bucket":…}' node bench/outputs-child.ts parse|outputs DATE SHA256
 *   node bench/outputs-child.ts duckdb JSONL_FILE PARQUET_FILE
 * parse: streams output/date=D/rides.jsonl from S3 and parses every line (the floor: what any
 * converter of that file pays). outputs: what the load step does after rides.jsonl, writing
 * rides.parquet and report.html to S3. duckdb: DuckDB's COPY of the same JSONL, from a local
 * file, to a local Parquet file. Prints one JSON line: seconds and bytes written.
 */
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { keys, parseRideDate } from '@etml/domain';
import { writeDayOutputs } from '@etml/outputs';
import { createObjectStore } from '@etml/storage';
import { simulatedDayContext } from '@etml/testing/output-day';

const [mode, a, b] = process.argv.slice(2);
const started = performance.now();
let bytes = 0;
if (mode === 'duckdb') {
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(
    `COPY (SELECT * FROM read_json('${a}', format = 'newline_delimited')) TO '${b}' (FORMAT parquet, COMPRESSION snappy)`,
  );
  bytes = statSync(b as string).size;
} else {
  const store = createObjectStore(JSON.parse(process.env.ETML_BENCH_S3 ?? '{}'));
  const date = parseRideDate(a ?? '');
  if (mode === 'parse') {
    let rows = 0;
    for await (const line of store.readLines(keys.output(date, 'rides.jsonl'), { sha256: b })) {
      if (line !== '' && JSON.parse(line)) rows += 1;
    }
    bytes = rows;
  } else {
    const { parquet, report } = await writeDayOutputs(
      store,
      date,
      { sha256: b ?? '' },
      simulatedDayContext(date),
    );
    bytes = parquet.bytes + report.bytes;
  }
}
process.stdout.write(
  `${JSON.stringify({ seconds: (performance.now() - started) / 1000, bytes })}\n`,
);
