import { appendVerdict, type ClusteringRecord, InputError, type RawFormat } from '@etml/domain';
import { checkRows, type ParsedRow, parseRows } from '@etml/ingest';
import { reasonNames } from './anomaly.ts';
import { type ClusterOptions, type ClusterParams, clusterRides } from './cluster.ts';

/**
 * A day's input, read twice: raw bytes in a seed format, or rows already parsed (converted TLC
 * trips, say), each with its row number in the source and, for a row that is not a ride, why.
 */
export type DayInput = {
  /** Names the input in messages: a file path or an s3:// URI. */
  name: string;
} & (
  | {
      format: RawFormat;
      /** Opens the raw bytes; called once per pass. */
      open(): Promise<AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>>;
    }
  | {
      /** The parsed rows, in source order; called once per pass. */
      rows(): AsyncIterable<ParsedRow>;
    }
);

async function rowsOf(input: DayInput, values: boolean): Promise<AsyncIterable<ParsedRow>> {
  return 'rows' in input ? input.rows() : parseRows(await input.open(), input.format, { values });
}

export interface RejectedRow {
  row: number;
  reasons: string[];
  /** The row as parsed, when it could be parsed. */
  value?: unknown;
}

export interface DaySinks {
  /** Consumes the rejected rows (the first pass runs while it reads). */
  rejected(rows: AsyncIterable<RejectedRow>): Promise<unknown>;
  /** Consumes the clustered rides as NDJSON text chunks. */
  output(chunks: AsyncIterable<string>): Promise<unknown>;
}

export type DayPhase = 'validating' | 'clustering' | 'writing';

class Column {
  values = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

/**
 * One day's raw rides, clustered in two streaming passes, so a day whose text is far larger than
 * memory works (only distance, time and the row number of each ride are kept):
 * 1. parse and validate every row, keeping only distance and time of the valid ones and
 *    streaming the invalid ones out with their reasons;
 * 2. cluster those columns;
 * 3. parse the input again and stream each valid ride out, in input order, with its labels.
 * The input must read the same both times (an S3 reader pins the object's ETag).
 */
export async function clusterDay(
  input: DayInput,
  sinks: DaySinks,
  options: ClusterOptions = {},
  progress: (phase: DayPhase, rows: number) => void = () => {},
): Promise<
  Omit<ClusteringRecord, 'clustered' | 'params'> & { params: ClusterParams; capped: number }
> {
  const distance = new Column();
  const time = new Column();
  const valid: number[] = [];
  let rows = 0;
  let firstRejection: RejectedRow | undefined;

  async function* firstPass(): AsyncGenerator<RejectedRow> {
    for await (const checked of checkRows(await rowsOf(input, true))) {
      rows += 1;
      if (checked.ok) {
        distance.push(checked.ride.ride_dist);
        time.push(checked.ride.ride_time);
        valid.push(checked.row);
      } else {
        firstRejection ??= { row: checked.row, reasons: checked.reasons };
        yield {
          row: checked.row,
          reasons: checked.reasons,
          ...(checked.value === undefined ? {} : { value: checked.value }),
        };
      }
      if (rows % 100_000 === 0) progress('validating', rows);
    }
  }
  await sinks.rejected(firstPass());
  if (valid.length === 0) {
    throw new InputError(
      rows === 0
        ? `${input.name} has no rows`
        : `${input.name} has no valid rows (${rows} rows, all rejected; row ${firstRejection?.row}: ${firstRejection?.reasons.join('; ')})`,
    );
  }

  progress('clustering', rows);
  const { labels, anomaly, reasons, score, counts, params } = clusterRides(
    distance.view(),
    time.view(),
    options,
  );

  async function* secondPass(): AsyncGenerator<string> {
    let next = 0;
    let batch: string[] = [];
    // Rows were validated in the first pass; JSON rows are passed on as text.
    for await (const parsed of await rowsOf(input, false)) {
      if (parsed.row !== valid[next] || 'error' in parsed) continue;
      const verdict = {
        label: labels[next] as number,
        anomaly: anomaly[next] === 1,
        reasons: reasonNames(reasons[next] as number),
        score: score[next] as number,
      };
      batch.push(`${appendVerdict(parsed.value, parsed.text, verdict)}\n`);
      next += 1;
      if (batch.length === 2_000) {
        yield batch.join('');
        batch = [];
        if (next % 100_000 === 0) progress('writing', next);
      }
    }
    if (batch.length > 0) yield batch.join('');
    if (next !== valid.length) {
      throw new Error(
        `${input.name} changed while it was being read: ${next} of ${valid.length} rides found again`,
      );
    }
  }
  await sinks.output(secondPass());
  return {
    input: input.name,
    rows,
    valid: valid.length,
    rejected: rows - valid.length,
    clusters: counts.clusters,
    noise: counts.noise,
    anomalies: counts.anomalies,
    capped: counts.capped,
    params,
  };
}
