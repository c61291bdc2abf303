import { InputError } from './errors.ts';

declare const rideDateBrand: unique symbol;
/** A calendar day, `YYYY-MM-DD`, validated by {@link parseRideDate}. */
export type RideDate = string & { readonly [rideDateBrand]: true };

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Parses a strict `YYYY-MM-DD` that is a real calendar date (no 2025-02-30, no 2025-7-3). */
export function parseRideDate(value: unknown, field = 'date'): RideDate {
  const text = typeof value === 'string' ? value : String(value);
  const match = PATTERN.exec(text);
  if (match) {
    const [, y, m, d] = match.map(Number) as [number, number, number, number];
    const utc = new Date(0);
    // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
    utc.setUTCFullYear(y, m - 1, d);
    if (utc.getUTCFullYear() === y && utc.getUTCMonth() === m - 1 && utc.getUTCDate() === d) {
      return text as RideDate;
    }
    throw new InputError(`${field} ${JSON.stringify(text)} is not a real calendar date`);
  }
  throw new InputError(`${field} must be YYYY-MM-DD, got ${JSON.stringify(text)}`);
}

export function isRideDate(value: unknown): value is RideDate {
  try {
    parseRideDate(value);
    return true;
  } catch {
    return false;
  }
}

function toEpochDay(date: RideDate): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function fromEpochDay(day: number): RideDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10) as RideDate;
}

export function addDays(date: RideDate, days: number): RideDate {
  if (!Number.isInteger(days)) throw new InputError(`days must be a whole number, got ${days}`);
  return fromEpochDay(toEpochDay(date) + days);
}

/** Whole days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: RideDate, b: RideDate): number {
  return toEpochDay(b) - toEpochDay(a);
}

export function compareRideDates(a: RideDate, b: RideDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every date from `from` to `to`, both included. */
export function rideDateRange(from: RideDate, to: RideDate): RideDate[] {
  const span = daysBetween(from, to);
  if (span < 0) throw new InputError(`range start ${from} is after its end ${to}`);
  return Array.from({ length: span + 1 }, (_, i) => addDays(from, i));
}

/** The calendar date of an instant in an IANA time zone. */
export function rideDateInZone(instant: Date, timeZone: string): RideDate {
  // en-CA formats as YYYY-MM-DD.
  const text = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
  return parseRideDate(text);
}

/** `YYYYMMDD`, as the seed uses in ride ids. */
export function compactRideDate(date: RideDate): string {
  return date.replaceAll('-', '');
}
