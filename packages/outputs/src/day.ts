import {
  addDays,
  InputError,
  keys,
  type OutputRecord,
  type RideDate,
  readOutputLine,
} from '@etml/domain';
import type { ObjectStore, WriteResult } from '@etml/storage';
import { type DayManifest, readManifest } from './manifest.ts';
import { parquetRow, parquetStream } from './parquet.ts';
import { type DayRides, DayRidesCollector } from './report/collect.ts';
import { type ReportContext, renderReport, type TrendDay } from './report/render.ts';

const countOf = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** Days before the report's own in its trend. */
export const TREND_DAYS = 7;

/** The earlier days of the trend, oldest first, from their manifests; gaps have null counts. */
export async function readTrend(
  store: ObjectStore,
  date: RideDate,
  days = TREND_DAYS,
): Promise<TrendDay[]> {
  const dates = Array.from({ length: days }, (_, i) => addDays(date, i - days));
  return Promise.all(
    dates.map(async day => {
      const manifest = await readManifest(store, day);
      return {
        date: day,
        // Counts only, as numbers: a manifest is read back from S3, and the report prints them.
        rides: countOf(manifest?.counts.valid),
        anomalies: countOf(manifest?.counts.anomalies),
      };
    }),
  );
}

/**
 * output/date=D/rides.jsonl, one record at a time, checked against its sha256: whatever is built
 * from it (Parquet, report) holds exactly the rows the JSONL holds, in its order.
 */
async function* outputRecords(
  store: ObjectStore,
  date: RideDate,
  sha256: string,
): AsyncGenerator<OutputRecord> {
  const key = keys.output(date, 'rides.jsonl');
  let line = 0;
  for await (const text of store.readLines(key, { sha256 })) {
    line += 1;
    if (text !== '') yield readOutputLine(text, `${store.uri(key)} line ${line}`);
  }
}

export interface DayOutputs {
  parquet: WriteResult;
  report: WriteResult;
  rides: DayRides;
}

/**
 * rides.parquet and report.html, from rides.jsonl (written just before, with this sha256) in one
 * streamed pass: memory holds one Parquet row group and 16 bytes a ride for the plot.
 */
export async function writeDayOutputs(
  store: ObjectStore,
  date: RideDate,
  rides: { sha256: string },
  context: ReportContext,
  options: { rowGroupRows?: number; createdBy?: string } = {},
): Promise<DayOutputs> {
  const collector = new DayRidesCollector();
  const parquet = await store.putStream(
    keys.output(date, 'rides.parquet'),
    parquetStream(
      (async function* () {
        for await (const record of outputRecords(store, date, rides.sha256)) {
          collector.add(record);
          yield parquetRow(record);
        }
      })(),
      options,
    ),
    'application/vnd.apache.parquet',
  );
  const day = collector.result();
  const html = renderReport(day, context, await readTrend(store, date));
  const report = await store.putBytes(
    keys.output(date, 'report.html'),
    html,
    'text/html; charset=utf-8',
  );
  return { parquet, report, rides: day };
}

/** The report's context, as a finished day's manifest records it. */
export function reportContextOf(manifest: DayManifest): ReportContext {
  return {
    date: manifest.date,
    rejected: manifest.counts.rejected,
    clusters: manifest.counts.clusters,
    dbscan: { eps: manifest.params.dbscan.eps, minSamples: manifest.params.dbscan.minSamples },
    model: manifest.llm.model,
    promptVersion: manifest.llm.prompt_version,
  };
}

/**
 * A complete day's report, rendered again from its rides.jsonl and the manifests around it: the
 * same bytes as its report.html while no earlier day of its trend has changed since.
 */
export async function renderDayReport(store: ObjectStore, date: RideDate): Promise<string> {
  const manifest = await readManifest(store, date);
  const rides = manifest?.files['rides.jsonl'];
  if (!manifest || !rides) {
    throw new InputError(
      `${date} is not complete: ${store.uri(keys.manifest(date))} does not exist (run it with 'etml run --date ${date}')`,
    );
  }
  const collector = new DayRidesCollector();
  for await (const record of outputRecords(store, date, rides.sha256)) collector.add(record);
  return renderReport(collector.result(), reportContextOf(manifest), await readTrend(store, date));
}
