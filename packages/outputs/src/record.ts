/**
 * One line of output/date=D/rides.jsonl, as the load step writes it: the input fields, unchanged,
 * then the labels and the summary fields. Only the fields the outputs read are typed here.
 */
export interface OutputRecord {
  ride_id: string | number;
  ride_dist: number;
  ride_time: number;
  ride_speed?: number | null;
  selection_idx?: number | null;
  news?: string | null;
  weather?: string | null;
  traffic?: string | null;
  label: number;
  anomaly: boolean;
  anomaly_reasons: string[];
  summary: string | null;
  summary_source: 'llm' | 'extractive' | 'failed' | null;
  likely_cause: string | null;
  summary_error: string | null;
  [field: string]: unknown;
}

/** The input fields the seed format defines; any other input field is carried in `extra`. */
export const INPUT_FIELDS = [
  'ride_id',
  'ride_dist',
  'ride_time',
  'ride_speed',
  'selection_idx',
  'news',
  'weather',
  'traffic',
] as const;

/** The fields the pipeline adds to each ride. */
export const ADDED_FIELDS = [
  'label',
  'anomaly',
  'anomaly_reasons',
  'summary',
  'summary_source',
  'likely_cause',
  'summary_error',
] as const;

const KNOWN = new Set<string>([...INPUT_FIELDS, ...ADDED_FIELDS]);

/**
 * Input fields outside the seed format, as one object, or null when there are none. The Parquet
 * writer encodes it for the JSON column: a string here would be stored as a JSON string, which
 * DuckDB's `extra->>'field'` cannot look into.
 */
export function extraFields(record: Record<string, unknown>): Record<string, unknown> | null {
  let extra: Record<string, unknown> | undefined;
  // for…in, not Object.entries: this runs once per ride, a million times a day.
  for (const field in record) {
    if (KNOWN.has(field)) continue;
    extra ??= {};
    extra[field] = record[field];
  }
  return extra ?? null;
}

/** Parses one output line, checking the fields whose types the outputs depend on. */
export function parseOutputLine(line: string, where: string): OutputRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`${where} is not JSON: ${(error as Error).message}`);
  }
  const record = value as OutputRecord;
  const bad = (field: string, expected: string) =>
    new Error(
      `${where}: ${field} must be ${expected}, got ${JSON.stringify((record as Record<string, unknown>)?.[field])}`,
    );
  if (typeof record !== 'object' || record === null) throw new Error(`${where} is not an object`);
  if (typeof record.ride_id !== 'string' && typeof record.ride_id !== 'number') {
    throw bad('ride_id', 'a string or a number');
  }
  if (typeof record.ride_dist !== 'number') throw bad('ride_dist', 'a number');
  if (typeof record.ride_time !== 'number') throw bad('ride_time', 'a number');
  if (!Number.isInteger(record.label)) throw bad('label', 'an integer');
  if (typeof record.anomaly !== 'boolean') throw bad('anomaly', 'a boolean');
  if (
    !Array.isArray(record.anomaly_reasons) ||
    record.anomaly_reasons.some(r => typeof r !== 'string')
  ) {
    throw bad('anomaly_reasons', 'a list of strings');
  }
  return record;
}
