import { ADDED_FIELDS, INPUT_FIELDS } from '@etml/domain';

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
