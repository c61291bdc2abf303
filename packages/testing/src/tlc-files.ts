import { writeFileSync } from 'node:fs';
import { fileWriter, parquetWriteRows, type SchemaElement } from 'hyparquet-writer';

/**
 * NYC TLC trip-record files for tests and benchmarks, in the layouts and column spellings the
 * TLC has published, since the real month files are not reachable from here. A trip's times are
 * Dates whose UTC fields are the New York wall-clock time, as Parquet readers give TIMESTAMP
 * columns written without a UTC adjustment.
 */
export type TlcVariant =
  | 'yellow-zones'
  | 'yellow-coordinates'
  | 'green-zones'
  | 'green-coordinates';

export type TlcValue = string | number | bigint | Date | null;
export type TlcTripRow = Record<string, TlcValue>;

/** The columns of each layout, spelled as the TLC's files of those years spell them. */
export const TLC_COLUMNS: Record<TlcVariant, string[]> = {
  // 2019 on.
  'yellow-zones': [
    'VendorID',
    'tpep_pickup_datetime',
    'tpep_dropoff_datetime',
    'passenger_count',
    'trip_distance',
    'RatecodeID',
    'store_and_fwd_flag',
    'PULocationID',
    'DOLocationID',
    'payment_type',
    'fare_amount',
    'extra',
    'mta_tax',
    'tip_amount',
    'tolls_amount',
    'improvement_surcharge',
    'total_amount',
    'congestion_surcharge',
    'airport_fee',
  ],
  // 2015 to mid-2016.
  'yellow-coordinates': [
    'VendorID',
    'tpep_pickup_datetime',
    'tpep_dropoff_datetime',
    'passenger_count',
    'trip_distance',
    'pickup_longitude',
    'pickup_latitude',
    'RateCodeID',
    'store_and_fwd_flag',
    'dropoff_longitude',
    'dropoff_latitude',
    'payment_type',
    'fare_amount',
    'extra',
    'mta_tax',
    'tip_amount',
    'tolls_amount',
    'improvement_surcharge',
    'total_amount',
  ],
  'green-zones': [
    'VendorID',
    'lpep_pickup_datetime',
    'lpep_dropoff_datetime',
    'store_and_fwd_flag',
    'RatecodeID',
    'PULocationID',
    'DOLocationID',
    'passenger_count',
    'trip_distance',
    'fare_amount',
    'extra',
    'mta_tax',
    'tip_amount',
    'tolls_amount',
    'ehail_fee',
    'improvement_surcharge',
    'total_amount',
    'payment_type',
    'trip_type',
    'congestion_surcharge',
  ],
  // 2013 to 2015: capitals where the yellow files have none.
  'green-coordinates': [
    'VendorID',
    'lpep_pickup_datetime',
    'Lpep_dropoff_datetime',
    'Store_and_fwd_flag',
    'RateCodeID',
    'Pickup_longitude',
    'Pickup_latitude',
    'Dropoff_longitude',
    'Dropoff_latitude',
    'Passenger_count',
    'Trip_distance',
    'Fare_amount',
    'Extra',
    'MTA_tax',
    'Tip_amount',
    'Tolls_amount',
    'Ehail_fee',
    'improvement_surcharge',
    'Total_amount',
    'Payment_type',
    'Trip_type',
  ],
};

/** The pickup, dropoff and distance columns of a layout. */
export function tlcKeyColumns(variant: TlcVariant) {
  const columns = TLC_COLUMNS[variant];
  const find = (pattern: RegExp) => columns.find(c => pattern.test(c)) as string;
  return {
    pickup: find(/pickup_datetime$/i),
    dropoff: find(/dropoff_datetime$/i),
    distance: find(/^trip_distance$/i),
  };
}

/** A small fast PRNG, so a seed gives the same trips everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * `trips` plausible trips of one month (`YYYY-MM`) in a layout: pickups spread over the month,
 * mostly short city rides, a tail of long ones; fares from the distance.
 */
export function* simulatedTlcTrips(options: {
  month: string;
  trips: number;
  variant: TlcVariant;
  seed?: number;
}): Generator<TlcTripRow> {
  const next = random(options.seed ?? 1);
  const [year, month] = options.month.split('-').map(Number) as [number, number];
  const start = Date.UTC(year, month - 1, 1);
  const span = Date.UTC(year, month, 1) - start;
  const columns = TLC_COLUMNS[options.variant];
  const { pickup, dropoff, distance } = tlcKeyColumns(options.variant);
  for (let i = 0; i < options.trips; i += 1) {
    const at = start + Math.floor((next() * span) / 1000) * 1000;
    const long = next() < 0.03;
    const minutes = long ? 20 + next() * 70 : 3 + next() * 22;
    const mph = long ? 15 + next() * 30 : 6 + next() * 14;
    const miles = round2((mph * minutes) / 60);
    const fare = round2(2.5 + 2.5 * miles);
    const row: TlcTripRow = {};
    for (const column of columns) {
      const lower = column.toLowerCase();
      if (column === pickup) row[column] = new Date(at);
      else if (column === dropoff) row[column] = new Date(at + Math.round(minutes * 60) * 1000);
      else if (column === distance) row[column] = miles;
      else if (lower === 'vendorid') row[column] = 1 + Math.floor(next() * 2);
      else if (lower === 'passenger_count') row[column] = 1 + Math.floor(next() * 4);
      else if (lower === 'ratecodeid') row[column] = 1;
      else if (lower === 'store_and_fwd_flag') row[column] = next() < 0.01 ? 'Y' : 'N';
      else if (lower === 'pulocationid' || lower === 'dolocationid')
        row[column] = 1 + Math.floor(next() * 265);
      else if (lower.endsWith('_longitude')) row[column] = -74.0 + next() * 0.2;
      else if (lower.endsWith('_latitude')) row[column] = 40.6 + next() * 0.25;
      else if (lower === 'payment_type') row[column] = BigInt(1 + Math.floor(next() * 2));
      else if (lower === 'fare_amount') row[column] = fare;
      else if (lower === 'tip_amount') row[column] = round2(fare * 0.15);
      else if (lower === 'total_amount') row[column] = round2(fare * 1.15 + 1.3);
      else if (lower === 'trip_type') row[column] = 1;
      else if (lower === 'ehail_fee') row[column] = null;
      else row[column] = 0.5;
    }
    yield row;
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A wall-clock Date as the TLC's CSVs write it: `YYYY-MM-DD HH:MM:SS`. */
export function tlcTimeText(value: Date): string {
  return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())} ${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}`;
}

function csvCell(value: TlcValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return tlcTimeText(value);
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A TLC CSV's lines, header first. */
export function* tlcCsvLines(columns: string[], rows: Iterable<TlcTripRow>): Generator<string> {
  yield `${columns.join(',')}\n`;
  for (const row of rows) yield `${columns.map(c => csvCell(row[c])).join(',')}\n`;
}

export function writeTlcCsv(path: string, columns: string[], rows: Iterable<TlcTripRow>): void {
  writeFileSync(path, [...tlcCsvLines(columns, rows)].join(''));
}

function schemaElement(name: string, sample: TlcValue, instants: boolean): SchemaElement {
  if (sample instanceof Date) {
    return {
      name,
      type: 'INT64',
      repetition_type: 'OPTIONAL',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: instants, unit: 'MICROS' },
    };
  }
  if (typeof sample === 'bigint') return { name, type: 'INT64', repetition_type: 'OPTIONAL' };
  if (typeof sample === 'string') {
    return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
  }
  if (
    typeof sample === 'number' &&
    Number.isInteger(sample) &&
    !/amount|distance|fee|tax|extra|surcharge|itude/i.test(name)
  ) {
    return { name, type: 'INT32', repetition_type: 'OPTIONAL' };
  }
  return { name, type: 'DOUBLE', repetition_type: 'OPTIONAL' };
}

/**
 * Writes trips as a TLC Parquet file, streamed a row group at a time. Times are INT64
 * microseconds, TIMESTAMP without a UTC adjustment as the TLC writes them (`instants` marks them
 * adjusted, as some tools do); counts INT32 or INT64, amounts DOUBLE.
 */
export async function writeTlcParquet(
  path: string,
  columns: string[],
  rows: Iterable<TlcTripRow>,
  options: { rowGroupRows?: number; instants?: boolean; types?: Record<string, TlcValue> } = {},
): Promise<void> {
  const iterator = rows[Symbol.iterator]();
  const first = iterator.next();
  const sample: TlcTripRow = first.done ? {} : first.value;
  const schema: SchemaElement[] = [
    { name: 'schema', num_children: columns.length },
    ...columns.map(name =>
      schemaElement(name, options.types?.[name] ?? sample[name] ?? 0.5, options.instants ?? false),
    ),
  ];
  function* all(): Generator<TlcTripRow> {
    if (!first.done) yield first.value;
    for (let next = iterator.next(); !next.done; next = iterator.next()) yield next.value;
  }
  await parquetWriteRows({
    writer: fileWriter(path),
    rows: all(),
    columns: columns.map(name => ({ name })),
    schema,
    codec: 'SNAPPY',
    rowGroupSize: options.rowGroupRows ?? 100_000,
  });
}
