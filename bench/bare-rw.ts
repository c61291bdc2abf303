/**
 * The baseline for `etml cluster` end to end: a bare Node read-parse-write of an NDJSON file.
 *   node bench/bare-rw.ts INPUT OUTPUT
 * readline, JSON.parse and JSON.stringify of every line, written in batches to a write stream
 * with backpressure. No validation, no clustering, one pass.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  process.stderr.write('usage: node bench/bare-rw.ts INPUT OUTPUT\n');
  process.exit(2);
}

const BATCH = 1_000;
const out = createWriteStream(output);
const lines = createInterface({ input: createReadStream(input), crlfDelay: Infinity });
let batch: string[] = [];
let rows = 0;
for await (const line of lines) {
  if (line === '') continue;
  batch.push(JSON.stringify(JSON.parse(line)));
  rows += 1;
  if (batch.length === BATCH) {
    if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
    batch = [];
  }
}
if (batch.length > 0) out.write(`${batch.join('\n')}\n`);
out.end();
await once(out, 'finish');
process.stderr.write(`bare read-parse-write: ${rows} rows\n`);
