import { type RawRide, validateRide } from '@etml/domain';
import type { ParsedRow } from './parse.ts';

export type CheckedRow =
  | { row: number; ok: true; ride: RawRide }
  | { row: number; ok: false; reasons: string[]; value?: unknown };

/**
 * Validates parsed rows in order. A bad row becomes a rejection with its reasons, never an
 * exception, so one row cannot fail a day. A repeated ride_id is rejected too: ride ids key
 * the per-ride jobs and outputs, and two rides cannot share one.
 */
export async function* checkRows(rows: AsyncIterable<ParsedRow>): AsyncGenerator<CheckedRow> {
  const firstSeen = new Map<string, number>();
  for await (const parsed of rows) {
    if ('error' in parsed) {
      yield { row: parsed.row, ok: false, reasons: [parsed.error] };
      continue;
    }
    const result = validateRide(parsed.value);
    if (!result.ok) {
      yield { row: parsed.row, ok: false, reasons: result.reasons, value: parsed.value };
      continue;
    }
    const id = String(result.ride.ride_id);
    const earlier = firstSeen.get(id);
    if (earlier !== undefined) {
      yield {
        row: parsed.row,
        ok: false,
        reasons: [`ride_id ${JSON.stringify(result.ride.ride_id)} repeats row ${earlier}`],
        value: parsed.value,
      };
      continue;
    }
    firstSeen.set(id, parsed.row);
    yield { row: parsed.row, ok: true, ride: result.ride };
  }
}

export interface RowSummary {
  total: number;
  valid: number;
  rejected: number;
  /** The first few rejections, for messages. */
  examples: { row: number; reasons: string[] }[];
}

export async function summarizeRows(
  rows: AsyncIterable<CheckedRow>,
  keep = 5,
): Promise<RowSummary> {
  const summary: RowSummary = { total: 0, valid: 0, rejected: 0, examples: [] };
  for await (const row of rows) {
    summary.total += 1;
    if (row.ok) summary.valid += 1;
    else {
      summary.rejected += 1;
      if (summary.examples.length < keep)
        summary.examples.push({ row: row.row, reasons: row.reasons });
    }
  }
  return summary;
}

export function describeRejection(example: { row: number; reasons: string[] }): string {
  return `row ${example.row}: ${example.reasons.join('; ')}`;
}
