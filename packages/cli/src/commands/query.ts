import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection, DuckDBType, Json } from '@duckdb/node-api';
import { InputError, keys, type RideDate, rideDateRange } from '@etml/domain';
import { readManifest } from '@etml/outputs';
import { connectStore } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { dateFlag, parseFlags, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { checkNotFuture } from '../today.ts';

export const DEFAULT_QUERY =
  'SELECT date, count(*) AS rides, count(*) FILTER (anomaly) AS anomalies FROM rides GROUP BY date ORDER BY date';

const FORMATS = ['table', 'csv', 'jsonl'] as const;
type Format = (typeof FORMATS)[number];
/** A terminal table is for reading; more rows than this belong in csv or jsonl. */
const TABLE_ROWS_MAX = 1_000;
const TABLE_CELL_MAX = 60;
const MAX_QUERY_DAYS = 366;

/**
 * etml query: SQL over complete days' rides.parquet, with DuckDB, as the view `rides` (every
 * Parquet column plus `date`). Each day's file is copied from S3 to a temporary folder first and
 * checked against its manifest, so it needs no DuckDB extension, no S3 credentials in DuckDB and
 * no network beyond the store.
 */
export const queryCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('query', args, {
    date: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    sql: { type: 'string' },
    format: { type: 'string' },
  });
  const env = getEnv();
  const dates = datesOf(flags, env.scheduleTz);
  const format = (flags.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) {
    throw new UsageError(
      `query: --format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(flags.format)}`,
    );
  }
  const sql = flags.sql ?? DEFAULT_QUERY;
  if (sql.trim() === '') throw new UsageError('query: --sql is empty');

  const store = (await connectStore(env)).value;
  const lake = mkdtempSync(join(tmpdir(), 'etml-query-'));
  try {
    const found = await copyDays(store, dates, lake);
    // Loaded here, not at start-up: the native module is for this command alone.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const files = found.map(date => sqlString(join(lake, `date=${date}`, 'rides.parquet')));
      await duck.run(
        `CREATE VIEW rides AS SELECT * FROM read_parquet([${files.join(', ')}], hive_partitioning = true)`,
      );
      await printQuery(duck, sql, format);
    } finally {
      duck.closeSync();
    }
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
};

const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** A day to come has no output, and the message for a missing one would suggest etml run. */
function datesOf(
  flags: { date?: string; from?: string; to?: string },
  scheduleTz: string,
): RideDate[] {
  if (flags.date !== undefined) {
    if (flags.from !== undefined || flags.to !== undefined) {
      throw new UsageError('query: give --date, or --from and --to, not both');
    }
    return [checkNotFuture(dateFlag('query', 'date', flags.date), scheduleTz)];
  }
  if (flags.from === undefined && flags.to === undefined) {
    throw new UsageError('query: --date, or --from and --to, is required');
  }
  const from = dateFlag('query', 'from', flags.from);
  const to = checkNotFuture(dateFlag('query', 'to', flags.to), scheduleTz, '--to');
  if (from > to) throw new InputError(`--from ${from} is after --to ${to}`);
  const dates = rideDateRange(from, to);
  if (dates.length > MAX_QUERY_DAYS) {
    throw new InputError(
      `${dates.length} days from ${from} to ${to} is more than ${MAX_QUERY_DAYS}; query a year at a time`,
    );
  }
  return dates;
}

/**
 * Copies each complete day's rides.parquet into `lake/date=D/`, checked against the sha256 its
 * manifest lists. Days without a manifest are named and left out; none at all is an error.
 */
async function copyDays(store: ObjectStore, dates: RideDate[], lake: string): Promise<RideDate[]> {
  const found: RideDate[] = [];
  const missing: RideDate[] = [];
  for (const date of dates) {
    const entry = (await readManifest(store, date))?.files['rides.parquet'];
    if (!entry) {
      missing.push(date);
      continue;
    }
    mkdirSync(join(lake, `date=${date}`));
    const hash = createHash('sha256');
    await pipeline(
      await store.getStream(keys.output(date, 'rides.parquet')),
      new Transform({
        transform(chunk, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(join(lake, `date=${date}`, 'rides.parquet')),
    );
    if (hash.digest('hex') !== entry.sha256) {
      throw new InputError(
        `${entry.key} does not match its manifest's sha256; is ${date} being computed again? Try once it completes`,
      );
    }
    found.push(date);
  }
  if (found.length === 0) {
    const what = dates.length === 1 ? dates[0] : `any day from ${dates[0]} to ${dates.at(-1)}`;
    throw new InputError(
      `no complete output for ${what}: ${store.uri(keys.manifest(dates[0] as RideDate))}${dates.length > 1 ? ' and the others' : ''} not found; run the day first (etml run --date D)`,
    );
  }
  if (missing.length > 0) {
    process.stderr.write(
      `query: left out ${missing.length} day(s) without a complete manifest: ${missing.join(', ')}\n`,
    );
  }
  return found;
}

/**
 * How to show a column's values, from DuckDB's JSON form: counts (BIGINT) and decimals come as
 * strings to keep their precision, JSON as its text; a reader wants numbers and objects.
 */
function converterFor(type: DuckDBType): (value: Json) => unknown {
  if (type.alias === 'JSON')
    return value => (typeof value === 'string' ? JSON.parse(value) : value);
  if (/^(?:U?BIGINT|U?HUGEINT|DECIMAL\b)/.test(type.toString())) {
    return value => {
      const n = typeof value === 'string' ? Number(value) : value;
      return typeof n === 'number' && (Number.isSafeInteger(n) || !Number.isInteger(n)) ? n : value;
    };
  }
  return value => value;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function csvCell(value: unknown): string {
  const text = cellText(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

async function printQuery(duck: DuckDBConnection, sql: string, format: Format): Promise<void> {
  let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
  try {
    result = await duck.stream(sql);
  } catch (error) {
    throw new InputError(`query: --sql failed: ${(error as Error).message.split('\n')[0]}`);
  }
  const columns = result.columnNames();
  const convert = result.columnTypes().map(converterFor);
  const out = process.stdout;
  if (format === 'csv') out.write(`${columns.map(csvCell).join(',')}\n`);
  const table: string[][] = [];
  let rows = 0;
  for await (const chunk of result.yieldRowsJson()) {
    for (const raw of chunk) {
      rows += 1;
      const row = raw.map((value, i) => convert[i]?.(value) ?? value);
      if (format === 'jsonl') {
        out.write(`${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i]])))}\n`);
      } else if (format === 'csv') {
        out.write(`${row.map(csvCell).join(',')}\n`);
      } else if (table.length < TABLE_ROWS_MAX) {
        table.push(
          row.map(value => (value === null ? 'NULL' : clip(cellText(value).replace(/\s+/g, ' ')))),
        );
      }
    }
  }
  if (format === 'table') {
    await new Promise(done => out.write(renderTable(columns, table), done));
    const more = rows > table.length ? `; showing ${table.length}, use --format csv or jsonl` : '';
    process.stderr.write(`${rows} row${rows === 1 ? '' : 's'}${more}\n`);
  }
}

function clip(text: string): string {
  return text.length > TABLE_CELL_MAX ? `${text.slice(0, TABLE_CELL_MAX - 1)}…` : text;
}

function renderTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map(r => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map(w => '-'.repeat(w))), ...rows.map(line), ''].join('\n');
}
