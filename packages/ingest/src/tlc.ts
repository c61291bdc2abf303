import { InputError, parseDecimal, type RideDate } from '@etml/domain';

/**
 * NYC TLC trip records (yellow and green taxis) as rides. The TLC's files have no ride time
 * (it is dropoff minus pickup), measure distance in miles, hold local New York wall-clock times,
 * and spell their columns differently across years; this module knows those layouts and turns
 * each trip into a ride in the seed's terms, keeping every TLC field on the record.
 */

export const MILES_TO_KM = 1.609344;
/** Longer than a day is a meter error, not a trip; up to a day is kept for the detector. */
export const MAX_TRIP_HOURS = 24;
/** Farther than this is a typing or meter error (the TLC files hold 100,000-mile trips). */
export const MAX_TRIP_MILES = 500;

/**
 * Every column the TLC has published, by the name it uses now; older files spell some
 * differently, compared without case (RateCodeID, Airport_fee, Lpep_dropoff_datetime,
 * Trip_distance) or under an older name (rate_code, vendor_id, surcharge).
 */
const CANONICAL = [
  'VendorID',
  'tpep_pickup_datetime',
  'tpep_dropoff_datetime',
  'lpep_pickup_datetime',
  'lpep_dropoff_datetime',
  'pickup_datetime',
  'dropoff_datetime',
  'passenger_count',
  'trip_distance',
  'pickup_longitude',
  'pickup_latitude',
  'dropoff_longitude',
  'dropoff_latitude',
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
  'ehail_fee',
  'improvement_surcharge',
  'total_amount',
  'trip_type',
  'congestion_surcharge',
  'Airport_fee',
  'cbd_congestion_fee',
] as const;

const OLDER_NAMES: Record<string, string> = {
  vendor_id: 'VendorID',
  rate_code: 'RatecodeID',
  surcharge: 'extra',
};

const BY_LOWER = new Map<string, string>([
  ...CANONICAL.map(name => [name.toLowerCase(), name] as [string, string]),
  ...Object.entries(OLDER_NAMES),
]);

const TEXT_COLUMNS = new Set(['store_and_fwd_flag']);

export type TlcColour = 'yellow' | 'green';

export interface TlcLayout {
  colour: TlcColour;
  /** Pickup and dropoff given as coordinates (before mid-2016) or as taxi zones (after). */
  places: 'coordinates' | 'zones' | 'none';
  /** The file's column names, in order, and the name each is kept under. */
  columns: { source: string; name: string }[];
  /** The pickup, dropoff and distance columns, by the names they are kept under. */
  pickup: string;
  dropoff: string;
  distance: string;
  /** The same three as the file spells them, where each trip's cells are found. */
  sources: { pickup: string; dropoff: string; distance: string };
}

/**
 * The TLC layout of a file with these columns, or undefined when it has none of a TLC file's
 * time columns. A file with some of them but not all it needs is refused, naming what is missing.
 */
export function tlcLayout(header: readonly string[]): TlcLayout | undefined {
  const columns = header.map(raw => {
    const source = raw.trim();
    return { source, name: BY_LOWER.get(source.toLowerCase()) ?? source };
  });
  const names = new Set(columns.map(c => c.name));
  const colour: TlcColour | undefined =
    names.has('lpep_pickup_datetime') || names.has('lpep_dropoff_datetime')
      ? 'green'
      : names.has('tpep_pickup_datetime') ||
          names.has('tpep_dropoff_datetime') ||
          names.has('pickup_datetime')
        ? 'yellow'
        : undefined;
  if (!colour) return undefined;
  const prefix = names.has(`${colour === 'green' ? 'l' : 't'}pep_pickup_datetime`)
    ? colour === 'green'
      ? 'lpep_'
      : 'tpep_'
    : '';
  const pickup = `${prefix}pickup_datetime`;
  const dropoff = `${prefix}dropoff_datetime`;
  const missing = [pickup, dropoff, 'trip_distance'].filter(name => !names.has(name));
  if (missing.length > 0) {
    throw new InputError(
      `a ${colour} taxi TLC file needs the columns ${pickup}, ${dropoff} and trip_distance; ` +
        `it has no ${missing.join(', ')} (columns: ${header.join(', ')})`,
    );
  }
  const places = names.has('PULocationID')
    ? 'zones'
    : names.has('pickup_longitude')
      ? 'coordinates'
      : 'none';
  const sourceOf = (name: string) => columns.find(c => c.name === name)?.source ?? name;
  const distance = 'trip_distance';
  const sources = {
    pickup: sourceOf(pickup),
    dropoff: sourceOf(dropoff),
    distance: sourceOf(distance),
  };
  return { colour, places, columns, pickup, dropoff, distance, sources };
}

/** The columns a TLC file must have, for messages about files that are not one. */
export const TLC_REQUIRED =
  'tpep_pickup_datetime and tpep_dropoff_datetime (yellow) or lpep_pickup_datetime and lpep_dropoff_datetime (green), and trip_distance';

const WALL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const US_WALL = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([AP]M)$/;

/**
 * A local wall-clock time as milliseconds, counted as if it were UTC ("naive"), or undefined
 * when the text is not a real date and time. TLC CSVs write `2015-01-15 19:05:39`; the NYC Open
 * Data exports `01/15/2015 07:05:39 PM`.
 */
export function parseWallTime(text: string): number | undefined {
  let parts: number[];
  const iso = WALL.exec(text);
  if (iso) {
    const fraction = (iso[7] ?? '').padEnd(3, '0').slice(0, 3);
    parts = [...iso.slice(1, 7).map(Number), Number(fraction)];
  } else {
    const us = US_WALL.exec(text);
    if (!us) return undefined;
    const hour12 = Number(us[4]);
    if (hour12 < 1 || hour12 > 12) return undefined;
    const hour = (hour12 % 12) + (us[7] === 'PM' ? 12 : 0);
    parts = [Number(us[3]), Number(us[1]), Number(us[2]), hour, Number(us[5]), Number(us[6]), 0];
  }
  const [y, mo, d, h, mi, s, ms] = parts as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const naive = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls 31 February into March; a real date reads back the same day.
  return new Date(naive).getUTCDate() === d ? naive : undefined;
}

/** `YYYY-MM-DD HH:MM:SS`, as the TLC writes its times. */
export function formatWallTime(naive: number): string {
  return new Date(naive).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Local wall-clock times to instants in one time zone. Offsets are looked up once per local
 * hour: a month of trips needs a few hundred look-ups, not millions.
 */
export class ZoneClock {
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number[]>();

  /** Throws InputError when the zone is unknown. */
  constructor(timeZone: string) {
    this.timeZone = timeZone;
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new InputError(`--tz: unknown time zone ${JSON.stringify(timeZone)}`);
    }
  }

  /** The zone's offset from UTC at an instant, in ms. */
  private offsetAt(epoch: number): number {
    const parts = Object.fromEntries(
      this.format.formatToParts(new Date(epoch)).map(p => [p.type, p.value]),
    );
    const wall = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    );
    return wall - Math.floor(epoch / 1000) * 1000;
  }

  /**
   * The instants a local wall-clock time can be: one, or two around a clock change: a time that
   * happens twice (autumn), or one that never happens (spring), read with either offset.
   */
  instants(naive: number): number[] {
    // Clocks change on the half hour at the finest (Lord Howe), so one look-up per half hour.
    const slot = Math.floor(naive / 1_800_000);
    let offsets = this.offsets.get(slot);
    if (offsets === undefined) {
      // A day holds at most one change: the offsets 12 h either side are the only candidates.
      const before = this.offsetAt(naive - 43_200_000);
      const after = this.offsetAt(naive + 43_200_000);
      const candidates = before === after ? [before] : [before, after];
      const fitting = candidates.filter(o => this.offsetAt(naive - o) === o);
      offsets = fitting.length > 0 ? fitting : candidates;
      this.offsets.set(slot, offsets);
    }
    return offsets.map(o => naive - o);
  }

  /**
   * The length of a trip between two wall-clock times, in ms: the real elapsed time. Around a
   * clock change a time may be read two ways; the reading that gives the shortest length that is
   * not negative is taken (a meter that did not change its clock mid-trip). Negative when no
   * reading puts the dropoff after the pickup.
   */
  elapsed(pickup: number, dropoff: number): number {
    const starts = this.instants(pickup);
    const ends = this.instants(dropoff);
    let best = Number.NEGATIVE_INFINITY;
    for (const start of starts) {
      for (const end of ends) {
        const length = end - start;
        if (length >= 0 && (best < 0 || length < best)) best = length;
        else if (best < 0 && length > best) best = length;
      }
    }
    return best;
  }

  /** The local wall-clock time of an instant, as naive ms. */
  wallTime(epoch: number): number {
    return epoch + this.offsetAt(epoch);
  }
}

/** A TLC cell from a CSV (text) or a Parquet file (number, bigint, Date, null). */
export type TlcCell = string | number | bigint | boolean | Date | null | undefined;

export type TlcTrip =
  | {
      ok: true;
      /** The pickup's local calendar date: the ride's day. */
      date: RideDate;
      ride_dist: number;
      ride_time: number;
      /** Every TLC field, under its current name, times as `YYYY-MM-DD HH:MM:SS`. */
      fields: Record<string, unknown>;
    }
  | { ok: false; reasons: string[]; date?: RideDate };

export interface TlcConvertOptions {
  clock: ZoneClock;
  /** Parquet timestamps that are instants (isAdjustedToUTC) rather than wall-clock times. */
  instants?: boolean;
}

const show = (cell: TlcCell) =>
  cell instanceof Date
    ? cell.toISOString()
    : JSON.stringify(typeof cell === 'bigint' ? String(cell) : cell);

function wallTimeOf(cell: TlcCell, options: TlcConvertOptions): number | undefined {
  if (cell instanceof Date) {
    const ms = cell.getTime();
    if (Number.isNaN(ms)) return undefined;
    return options.instants ? options.clock.wallTime(ms) : ms;
  }
  return typeof cell === 'string' ? parseWallTime(cell.trim()) : undefined;
}

function fieldValue(name: string, cell: TlcCell): unknown {
  if (cell === null || cell === undefined || cell === '') return null;
  if (typeof cell === 'bigint')
    return Number.isSafeInteger(Number(cell)) ? Number(cell) : String(cell);
  if (typeof cell === 'string' && !TEXT_COLUMNS.has(name)) return parseDecimal(cell.trim()) ?? cell;
  return cell;
}

function milesOf(cell: TlcCell): number | undefined {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  return typeof cell === 'string' ? parseDecimal(cell.trim()) : undefined;
}

/**
 * One TLC trip as a ride: ride_dist in km from trip_distance in miles, ride_time in hours from
 * dropoff minus pickup (as instants, so a trip across a clock change has its real length).
 * Trips of zero distance or zero seconds are kept: they are real records for the detector to
 * judge. Unreadable times, a dropoff before its pickup, a negative distance and absurd lengths
 * are not rides, and say why.
 */
export function tlcTrip(
  layout: TlcLayout,
  cells: Record<string, TlcCell>,
  options: TlcConvertOptions,
): TlcTrip {
  const reasons: string[] = [];
  const fields: Record<string, unknown> = {};
  for (const { source, name } of layout.columns) fields[name] = fieldValue(name, cells[source]);
  const pickupCell = cells[layout.sources.pickup];
  const dropoffCell = cells[layout.sources.dropoff];
  const pickup = wallTimeOf(pickupCell, options);
  const dropoff = wallTimeOf(dropoffCell, options);
  const pickupText = pickup === undefined ? undefined : formatWallTime(pickup);
  const dropoffText = dropoff === undefined ? undefined : formatWallTime(dropoff);
  if (pickupText === undefined) {
    reasons.push(`${layout.pickup} ${show(pickupCell)} is not a date and time`);
  } else {
    fields[layout.pickup] = pickupText;
  }
  if (dropoffText === undefined) {
    reasons.push(`${layout.dropoff} ${show(dropoffCell)} is not a date and time`);
  } else {
    fields[layout.dropoff] = dropoffText;
  }
  let hours = 0;
  if (pickup !== undefined && dropoff !== undefined) {
    hours = options.clock.elapsed(pickup, dropoff) / 3_600_000;
    if (hours < 0) {
      reasons.push(`${layout.dropoff} ${dropoffText} is before ${layout.pickup} ${pickupText}`);
    } else if (hours > MAX_TRIP_HOURS) {
      reasons.push(`the trip lasts ${hours.toFixed(1)} h, more than ${MAX_TRIP_HOURS} h`);
    }
  }
  const distanceCell = cells[layout.sources.distance];
  const miles = milesOf(distanceCell);
  if (miles === undefined || !Number.isFinite(miles)) {
    reasons.push(
      distanceCell === null || distanceCell === undefined || distanceCell === ''
        ? 'trip_distance is missing'
        : `trip_distance ${show(distanceCell)} is not a number`,
    );
  } else if (miles < 0) {
    reasons.push(`trip_distance ${miles} is negative`);
  } else if (miles > MAX_TRIP_MILES) {
    reasons.push(`trip_distance ${miles} miles is more than ${MAX_TRIP_MILES}`);
  }
  const date = pickupText?.slice(0, 10) as RideDate | undefined;
  if (reasons.length > 0) return date ? { ok: false, reasons, date } : { ok: false, reasons };
  return {
    ok: true,
    date: date as RideDate,
    // Kilometres to the millimetre: a mile is an exact 1.609344 km, the float product is not.
    ride_dist: Math.round((miles as number) * MILES_TO_KM * 1e6) / 1e6,
    ride_time: hours,
    fields,
  };
}

/**
 * The ride record for a trip: ride_id, ride_dist and ride_time first, as the seed's records
 * have them, then every TLC field. `sequence` numbers the day's trips in file order from 1, so
 * importing the same file again gives the same ids.
 */
export function tlcRide(
  trip: Extract<TlcTrip, { ok: true }>,
  sequence: number,
): Record<string, unknown> {
  return {
    ride_id: `${trip.date}-${sequence}`,
    ride_dist: trip.ride_dist,
    ride_time: trip.ride_time,
    ...trip.fields,
  };
}
