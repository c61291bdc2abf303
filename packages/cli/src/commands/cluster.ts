import { createReadStream } from 'node:fs';
import {
  clusterDay,
  type DayInput,
  ENGINES,
  type Engine,
  type RejectedRow,
} from '@etml/clustering';
import { parseDecimal, type RawFormat } from '@etml/domain';
import { openTlcFile, type ParsedRow, type TlcFile, tlcRides, ZoneClock } from '@etml/ingest';
import { ndjsonChunks } from '@etml/storage';
import { intFlag, parseFlags, requireFlag, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { inFile, inputFileFormat, readableFile } from '../input-file.ts';
import { checkDistinct, checkOutputPath, plural, writeChunks } from '../output.ts';
import { DEFAULT_TLC_ZONE } from './import.ts';

function epsFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const eps = parseDecimal(value) ?? Number.NaN;
  if (!(Number.isFinite(eps) && eps > 0)) {
    throw new UsageError(`cluster: --eps must be a number > 0, got ${JSON.stringify(value)}`);
  }
  return eps;
}

function maxShareFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const share = parseDecimal(value) ?? Number.NaN;
  if (!(share > 0 && share <= 1)) {
    throw new UsageError(
      `cluster: --max-share must be a number in (0, 1], got ${JSON.stringify(value)}`,
    );
  }
  return share;
}

function engineFlag(value: string | undefined): Engine {
  if (value === undefined) return 'fast';
  if (!(ENGINES as readonly string[]).includes(value)) {
    throw new UsageError(
      `cluster: --engine must be one of ${ENGINES.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as Engine;
}

/** A TLC file's trips as parsed rows: each ride with its text, each other row with why not. */
async function* tlcParsedRows(file: TlcFile, clock: ZoneClock): AsyncGenerator<ParsedRow> {
  for await (const trip of tlcRides(file, clock)) {
    yield trip.ok
      ? { row: trip.row, value: trip.ride, text: JSON.stringify(trip.ride) }
      : { row: trip.row, error: trip.reasons.join('; ') };
  }
}

/**
 * Clusters a local file: no Redis, no S3. Output is NDJSON, one record per valid ride in input
 * order, with every input field plus label, anomaly and anomaly_reasons. Rejected rows go to
 * --rejected (default: beside the output) with their row numbers and reasons.
 */
export const clusterCommand: Command = async args => {
  const flags = parseFlags('cluster', args, {
    input: { type: 'string' },
    output: { type: 'string' },
    eps: { type: 'string' },
    'min-samples': { type: 'string' },
    engine: { type: 'string' },
    'max-share': { type: 'string' },
    rejected: { type: 'string' },
    tz: { type: 'string' },
  });
  const input = requireFlag('cluster', 'input', flags.input);
  const output = requireFlag('cluster', 'output', flags.output);
  const eps = epsFlag(flags.eps);
  const minSamples =
    flags['min-samples'] === undefined
      ? undefined
      : intFlag('cluster', 'min-samples', flags['min-samples'], 0, { min: 1, max: 1_000_000_000 });
  const engine = engineFlag(flags.engine);
  const maxShare = maxShareFlag(flags['max-share']);
  // Rejected rows are never dropped: beside the output, or in ./rejected.jsonl for standard output.
  const rejectedPath =
    flags.rejected ?? (output === '-' ? 'rejected.jsonl' : `${output}.rejected.jsonl`);
  checkOutputPath('output', output);
  checkOutputPath('rejected', rejectedPath);
  checkDistinct({ input, output, rejected: rejectedPath });
  if (output === '-' && rejectedPath === '-') {
    throw new UsageError('cluster: --output and --rejected cannot both be standard output');
  }
  const clock = new ZoneClock(flags.tz ?? DEFAULT_TLC_ZONE);
  const size = await readableFile('cluster', 'input', input);
  const tlc = await openTlcFile(input, size).catch(inFile('cluster', input));
  const format = tlc
    ? `TLC ${tlc.layout.colour} taxi ${tlc.kind}`
    : await inputFileFormat('cluster', 'input', input);
  const dayInput: DayInput = tlc
    ? { name: input, rows: () => tlcParsedRows(tlc, clock) }
    : { format: format as RawFormat, name: input, open: async () => createReadStream(input) };

  const examples: RejectedRow[] = [];
  const summary = await clusterDay(
    dayInput,
    {
      rejected: async rows => {
        async function* kept() {
          for await (const row of rows) {
            if (examples.length < 5) examples.push(row);
            yield row;
          }
        }
        await writeChunks(rejectedPath, ndjsonChunks(kept()));
      },
      output: chunks => writeChunks(output, chunks),
    },
    { eps, minSamples, engine, maxShare },
  ).catch(inFile('cluster', input));

  const { params } = summary;
  process.stderr.write(
    `clustered ${summary.valid} rides from ${input} (${format}): ${plural(summary.clusters, 'cluster')}, ` +
      `${summary.noise} noise, ${summary.anomalies} anomalies` +
      `${summary.capped > 0 ? ` (${summary.capped} less severe ones left out by --max-share)` : ''}; eps ${params.eps.toPrecision(4)}, ` +
      `min_samples ${params.minSamples} (${params.source}), engine ${params.engine} -> ` +
      `${output === '-' ? 'standard output' : output}\n`,
  );
  if (summary.rejected > 0) {
    process.stderr.write(
      `${summary.rejected} of ${summary.rows} rows rejected -> ${rejectedPath}:\n`,
    );
    for (const row of examples)
      process.stderr.write(`  row ${row.row}: ${row.reasons.join('; ')}\n`);
  }
};
