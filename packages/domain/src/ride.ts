import { z } from 'zod';

/**
 * Above this a distance (km) or time (hours) is no ride, and its square overflows the
 * standardization's variance: one such row would wreck the whole day's clustering.
 */
export const MAX_RIDE_MEASURE = 1_000_000;
/** Context texts are a paragraph each; longer is a broken export, not news. */
export const MAX_TEXT_CHARS = 100_000;
/** What TextDecoder puts where bytes were not UTF-8. */
const REPLACEMENT = '\ufffd';

const text = z
  .string()
  .max(MAX_TEXT_CHARS)
  .refine(t => !t.includes(REPLACEMENT));

/**
 * One raw ride in the seed's format. Unknown fields are kept: the output record carries every
 * input field unchanged.
 */
export const RawRideSchema = z.looseObject({
  // Larger numbers lose digits in JSON.parse, and two ids could become one.
  ride_id: z.union([z.string().min(1), z.number().int().safe()]),
  ride_dist: z.number().min(0).max(MAX_RIDE_MEASURE),
  ride_time: z.number().min(0).max(MAX_RIDE_MEASURE),
  ride_speed: z.number().nullish(),
  selection_idx: z.number().int().nullish(),
  news: text.nullish(),
  weather: text.nullish(),
  traffic: text.nullish(),
});
export type RawRide = z.infer<typeof RawRideSchema>;

/** Fields whose text form (CSV) is a number. */
export const NUMERIC_RIDE_FIELDS = [
  'ride_dist',
  'ride_time',
  'ride_speed',
  'selection_idx',
] as const;

const EXPECTED: Record<string, string> = {
  ride_id: 'a non-empty string or a whole number below 2^53 (write larger ids as strings)',
  ride_dist: 'a finite number ≥ 0 (km)',
  ride_time: 'a finite number ≥ 0 (hours)',
  ride_speed: 'a finite number (km/h)',
  selection_idx: 'an integer',
  news: 'text',
  weather: 'text',
  traffic: 'text',
};

export type RideValidation = { ok: true; ride: RawRide } | { ok: false; reasons: string[] };

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const isMeasure = (v: unknown) => typeof v === 'number' && v >= 0 && v <= MAX_RIDE_MEASURE;
const isText = (v: unknown) =>
  typeof v === 'string' && v.length <= MAX_TEXT_CHARS && !v.includes(REPLACEMENT);
const isOptional = (v: unknown, type: 'number' | 'string') =>
  v === undefined ||
  v === null ||
  (type === 'string' ? isText(v) : typeof v === 'number' && Number.isFinite(v));

/**
 * The schema's verdict for a well-formed row, without zod's per-call overhead: a day of a million
 * rides is almost all well-formed. Anything it does not accept goes to zod for the reasons.
 */
function isPlainValidRide(row: Record<string, unknown>): boolean {
  const id = row.ride_id;
  const index = row.selection_idx;
  return (
    ((typeof id === 'string' && id.length > 0) || Number.isSafeInteger(id)) &&
    isMeasure(row.ride_dist) &&
    isMeasure(row.ride_time) &&
    isOptional(row.ride_speed, 'number') &&
    (index === undefined || index === null || Number.isSafeInteger(index)) &&
    isOptional(row.news, 'string') &&
    isOptional(row.weather, 'string') &&
    isOptional(row.traffic, 'string')
  );
}

/** Validates one parsed row; each reason names the field and the offending value. */
export function validateRide(value: unknown): RideValidation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reasons: [`row must be an object with ride fields, got ${show(value)}`] };
  }
  if (isPlainValidRide(value as Record<string, unknown>))
    return { ok: true, ride: value as RawRide };
  const result = RawRideSchema.safeParse(value);
  if (result.success) return { ok: true, ride: result.data };
  const record = value as Record<string, unknown>;
  const reasons = result.error.issues.map(issue => {
    const field = String(issue.path[0] ?? 'row');
    const given = record[field];
    if (given === undefined) return `${field} is missing`;
    if (typeof given === 'number' && Number.isFinite(given) && given > MAX_RIDE_MEASURE) {
      return `${field} must be ${EXPECTED[field]} up to ${MAX_RIDE_MEASURE}, got ${show(given)}`;
    }
    if (typeof given === 'string' && given.length > MAX_TEXT_CHARS) {
      return `${field} is ${given.length} characters long; at most ${MAX_TEXT_CHARS}`;
    }
    if (typeof given === 'string' && given.includes(REPLACEMENT)) {
      return `${field} has bytes that are not valid UTF-8 (re-save the file as UTF-8)`;
    }
    return `${field} must be ${EXPECTED[field] ?? issue.message}, got ${show(given)}`;
  });
  return { ok: false, reasons: [...new Set(reasons)] };
}
