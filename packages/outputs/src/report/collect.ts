import type { OutputRecord } from '@etml/domain';

/** An anomalous ride as the report's table shows it. */
export interface AnomalyRow {
  ride_id: string | number;
  ride_dist: number;
  ride_time: number;
  ride_speed: number | null;
  reasons: string[];
  score: number;
  /** Position in the day's rides, which breaks ties of score. */
  index: number;
  summary: string | null;
  summary_source: string | null;
  likely_cause: string | null;
  summary_error: string | null;
  news: string | null;
  weather: string | null;
  traffic: string | null;
}

/** Anomalies listed in the report's table; all of them are in rides.parquet and the plot. */
export const REPORT_TABLE_MAX = 500;

/** What the report needs from a day's rides, gathered in one pass over them. */
export interface DayRides {
  rides: number;
  anomalies: number;
  byReason: Record<string, number>;
  bySource: Record<string, number>;
  byCause: Record<string, number>;
  /** Every ride's distance (km) and time (h), in input order. */
  dist: Float64Array;
  time: Float64Array;
  /** Which rides are anomalous, and the key of their reasons ("long_time+low_speed"). */
  anomalyIndex: Uint32Array;
  anomalyKeys: string[];
  /** The REPORT_TABLE_MAX most severe anomalies, most severe first (then in input order). */
  table: AnomalyRow[];
}

function grow(array: Float64Array<ArrayBuffer>, length: number): Float64Array<ArrayBuffer> {
  if (length <= array.length) return array;
  const bigger = new Float64Array(Math.max(length, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** Most severe first; equal scores in input order. */
const bySeverity = (a: AnomalyRow, b: AnomalyRow) => b.score - a.score || a.index - b.index;

function weakestRow(table: readonly AnomalyRow[]): number {
  let weakest = 0;
  for (let k = 1; k < table.length; k += 1) {
    if (bySeverity(table[k] as AnomalyRow, table[weakest] as AnomalyRow) > 0) weakest = k;
  }
  return weakest;
}

/** The reasons of one anomaly, in their canonical order, as one legend key. */
export const reasonKey = (reasons: readonly string[]) =>
  reasons.length === 0 ? 'unexplained' : reasons.join('+');

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Gathers a day's rides for the report. Every ride costs 16 bytes (its two measures, for the
 * plot); anomalies keep their reasons, and the first few hundred their text for the table.
 */
export class DayRidesCollector {
  private rides = 0;
  private dist: Float64Array<ArrayBuffer> = new Float64Array(1 << 12);
  private time: Float64Array<ArrayBuffer> = new Float64Array(1 << 12);
  private anomalyIndex: number[] = [];
  private anomalyKeys: string[] = [];
  private byReason: Record<string, number> = {};
  private bySource: Record<string, number> = {};
  private byCause: Record<string, number> = {};
  private table: AnomalyRow[] = [];
  /** Where the least severe row of a full table is. */
  private weakest = -1;

  add(record: OutputRecord): void {
    const i = this.rides;
    this.rides += 1;
    this.dist = grow(this.dist, this.rides);
    this.time = grow(this.time, this.rides);
    this.dist[i] = record.ride_dist;
    this.time[i] = record.ride_time;
    if (!record.anomaly) return;
    this.anomalyIndex.push(i);
    this.anomalyKeys.push(reasonKey(record.anomaly_reasons));
    for (const reason of record.anomaly_reasons) bump(this.byReason, reason);
    bump(this.bySource, record.summary_source ?? 'none');
    bump(this.byCause, record.likely_cause ?? 'none');
    const row: AnomalyRow = {
      ride_id: record.ride_id,
      ride_dist: record.ride_dist,
      ride_time: record.ride_time,
      ride_speed: record.ride_speed ?? null,
      reasons: record.anomaly_reasons,
      score: record.anomaly_score,
      index: i,
      summary: record.summary,
      summary_source: record.summary_source,
      likely_cause: record.likely_cause,
      summary_error: record.summary_error,
      news: record.news ?? null,
      weather: record.weather ?? null,
      traffic: record.traffic ?? null,
    };
    // Keep the most severe: a full table swaps its weakest row for a more severe one (a later
    // ride of equal score does not displace an earlier one).
    if (this.table.length < REPORT_TABLE_MAX) {
      this.table.push(row);
      if (this.table.length === REPORT_TABLE_MAX) this.weakest = weakestRow(this.table);
    } else if (row.score > (this.table[this.weakest] as AnomalyRow).score) {
      this.table[this.weakest] = row;
      this.weakest = weakestRow(this.table);
    }
  }

  result(): DayRides {
    return {
      rides: this.rides,
      anomalies: this.anomalyIndex.length,
      byReason: this.byReason,
      bySource: this.bySource,
      byCause: this.byCause,
      dist: this.dist.subarray(0, this.rides),
      time: this.time.subarray(0, this.rides),
      anomalyIndex: Uint32Array.from(this.anomalyIndex),
      anomalyKeys: this.anomalyKeys,
      table: [...this.table].sort(bySeverity),
    };
  }
}
