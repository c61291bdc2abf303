import { PassThrough, type Readable } from 'node:stream';
import { ADDED_FIELDS, INPUT_FIELDS, type OutputRecord } from '@etml/domain';
import { ByteWriter, parquetWriteRows, type SchemaElement } from 'hyparquet-writer';
import { extraFields } from './record.ts';

const text = (name: string, repetition: 'REQUIRED' | 'OPTIONAL' = 'OPTIONAL'): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  repetition_type: repetition,
});
const double = (name: string, repetition: 'REQUIRED' | 'OPTIONAL'): SchemaElement => ({
  name,
  type: 'DOUBLE',
  repetition_type: repetition,
});

/**
 * The columns of rides.parquet, in rides.jsonl's order. `ride_id` is always a string, because
 * input ids may be numbers one day and strings the next, and a partitioned table needs one type.
 * `extra` holds input fields outside the seed format as a JSON object. The ride date is not a
 * column: it is the `date=` partition, as Athena, Glue and DuckDB's hive_partitioning expect.
 */
export const PARQUET_COLUMNS = [...INPUT_FIELDS, ...ADDED_FIELDS, 'extra'] as const;

export const PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'schema', num_children: PARQUET_COLUMNS.length },
  text('ride_id', 'REQUIRED'),
  double('ride_dist', 'REQUIRED'),
  double('ride_time', 'REQUIRED'),
  double('ride_speed', 'OPTIONAL'),
  { name: 'selection_idx', type: 'INT64', repetition_type: 'OPTIONAL' },
  text('news'),
  text('weather'),
  text('traffic'),
  { name: 'label', type: 'INT32', repetition_type: 'REQUIRED' },
  { name: 'anomaly', type: 'BOOLEAN', repetition_type: 'REQUIRED' },
  // The standard three-level LIST, which DuckDB, pyarrow, Spark and Athena all read as list<string>.
  { name: 'anomaly_reasons', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  text('element', 'REQUIRED'),
  double('anomaly_score', 'REQUIRED'),
  text('summary'),
  text('summary_source'),
  text('likely_cause'),
  text('summary_error'),
  { name: 'extra', type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' },
];

const FREE_TEXT = new Set<string>([
  'news',
  'weather',
  'traffic',
  'summary',
  'summary_error',
  'extra',
]);

export type ParquetRow = Record<(typeof PARQUET_COLUMNS)[number], unknown>;

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** One output record as a row of rides.parquet's columns. */
export function parquetRow(record: OutputRecord): ParquetRow {
  const index = record.selection_idx;
  return {
    ride_id: String(record.ride_id),
    ride_dist: record.ride_dist,
    ride_time: record.ride_time,
    ride_speed: orNull(record.ride_speed),
    selection_idx: typeof index === 'number' ? BigInt(index) : null,
    news: orNull(record.news),
    weather: orNull(record.weather),
    traffic: orNull(record.traffic),
    label: record.label,
    anomaly: record.anomaly,
    anomaly_reasons: record.anomaly_reasons,
    anomaly_score: record.anomaly_score,
    summary: record.summary,
    summary_source: record.summary_source,
    likely_cause: record.likely_cause,
    summary_error: record.summary_error,
    extra: extraFields(record),
  };
}

/**
 * Rows per row group. The whole group is held, as objects then as columns, while it is encoded:
 * 50,000 rides with their context text is about 100 MB, and groups this size still let DuckDB and
 * Athena split a day's file across threads.
 */
export const ROW_GROUP_ROWS = 50_000;

/**
 * A ByteWriter that hands its bytes on after each row group instead of keeping the file: the
 * encoded file is never whole in memory. `flush` waits while the reader is behind.
 */
class StreamingWriter extends ByteWriter {
  readonly out: PassThrough;

  constructor(out: PassThrough) {
    super(1 << 20);
    this.out = out;
  }

  async flush(): Promise<void> {
    // The reader gone (a failed upload destroys the stream) ends the writing, and the rows' read.
    if (this.out.destroyed) throw new Error('the Parquet output stream was closed');
    const chunk = Buffer.from(this.buffer.slice(0, this.index));
    this.index = 0;
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          this.out.off('drain', done);
          this.out.off('close', closed);
          if (error) reject(error);
          else resolve();
        };
        const closed = () => done(new Error('the Parquet output stream was closed'));
        this.out.once('drain', done);
        this.out.once('close', closed);
      });
    }
  }

  override async finish(): Promise<void> {
    await this.flush();
    this.out.end();
  }

  override getBuffer(): ArrayBuffer {
    throw new Error('a streaming Parquet writer keeps no buffer');
  }
}

/**
 * rides.parquet as a byte stream, encoded a row group at a time as `rows` are pulled: memory is
 * bounded by one row group, whatever the day's size. Snappy-compressed, with dictionaries where
 * they pay (the day's context texts repeat), and min/max statistics for predicate push-down.
 */
export function parquetStream(
  rows: AsyncIterable<ParquetRow>,
  options: { rowGroupRows?: number; createdBy?: string } = {},
): Readable {
  const out = new PassThrough({ highWaterMark: 8 << 20 });
  const writer = new StreamingWriter(out);
  Promise.resolve(
    parquetWriteRows({
      writer,
      rows,
      // Min/max of free text prunes nothing and costs a comparison per value.
      columns: PARQUET_COLUMNS.map(name => ({ name, statistics: !FREE_TEXT.has(name) })),
      schema: PARQUET_SCHEMA,
      codec: 'SNAPPY',
      rowGroupSize: options.rowGroupRows ?? ROW_GROUP_ROWS,
      createdBy: options.createdBy ?? 'ride-anomaly-etml',
    }),
  ).catch((error: unknown) => out.destroy(error as Error));
  return out;
}
