import { InputError } from '@etml/domain';
import { TLC_COLUMNS } from '@etml/testing/tlc-files';
import { describe, expect, it } from 'vitest';
import {
  formatWallTime,
  parseWallTime,
  type TlcCell,
  tlcLayout,
  tlcRide,
  tlcTrip,
  ZoneClock,
} from './tlc.ts';

const NY = new ZoneClock('America/New_York');
const SAMPLE_HEADER =
  'VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,pickup_longitude,pickup_latitude,RateCodeID,store_and_fwd_flag,dropoff_longitude,dropoff_latitude,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,total_amount'.split(
    ',',
  );

const yellow = tlcLayout(TLC_COLUMNS['yellow-zones']);
function trip(cells: Record<string, TlcCell>) {
  if (!yellow) throw new Error('no layout');
  return tlcTrip(
    yellow,
    {
      tpep_pickup_datetime: '2024-03-05 08:00:00',
      tpep_dropoff_datetime: '2024-03-05 08:30:00',
      trip_distance: '2.5',
      ...cells,
    },
    { clock: NY },
  );
}

describe('TLC layouts', () => {
  it.each([
    ['yellow-zones', 'yellow', 'zones', 'tpep_pickup_datetime'],
    ['yellow-coordinates', 'yellow', 'coordinates', 'tpep_pickup_datetime'],
    ['green-zones', 'green', 'zones', 'lpep_pickup_datetime'],
    ['green-coordinates', 'green', 'coordinates', 'lpep_pickup_datetime'],
  ] as const)('%s is a %s taxi file with %s', (variant, colour, places, pickup) => {
    expect(tlcLayout(TLC_COLUMNS[variant])).toMatchObject({ colour, places, pickup });
  });

  it('keeps every column under the name the TLC uses now, whatever the year spelled', () => {
    const names = (header: string[]) => tlcLayout(header)?.columns.map(c => c.name);
    expect(names(SAMPLE_HEADER)).toContain('RatecodeID');
    expect(names(TLC_COLUMNS['yellow-zones'])).toContain('Airport_fee');
    expect(names(TLC_COLUMNS['green-coordinates'])).toEqual(
      expect.arrayContaining([
        'lpep_dropoff_datetime',
        'store_and_fwd_flag',
        'trip_distance',
        'pickup_longitude',
        'fare_amount',
        'mta_tax',
      ]),
    );
    // The 2010–2014 yellow files: no tpep_ prefix, older names.
    expect(
      tlcLayout([
        'vendor_id',
        'pickup_datetime',
        'dropoff_datetime',
        'trip_distance',
        'rate_code',
        'surcharge',
      ]),
    ).toMatchObject({
      colour: 'yellow',
      pickup: 'pickup_datetime',
      columns: expect.arrayContaining([
        { source: 'rate_code', name: 'RatecodeID' },
        { source: 'surcharge', name: 'extra' },
      ]),
    });
  });

  it('is none for a file without TLC time columns (the seed format, say)', () => {
    expect(tlcLayout(['ride_id', 'ride_dist', 'ride_time'])).toBeUndefined();
  });

  it('refuses a TLC header without the columns a ride needs, naming them', () => {
    expect(() => tlcLayout(['VendorID', 'tpep_pickup_datetime', 'trip_distance'])).toThrow(
      new InputError(
        'a yellow taxi TLC file needs the columns tpep_pickup_datetime, tpep_dropoff_datetime and trip_distance; it has no tpep_dropoff_datetime (columns: VendorID, tpep_pickup_datetime, trip_distance)',
      ),
    );
    expect(() => tlcLayout(['lpep_pickup_datetime', 'lpep_dropoff_datetime'])).toThrow(
      'it has no trip_distance',
    );
  });
});

describe('TLC times', () => {
  it.each([
    ['2015-01-15 19:05:39', '2015-01-15 19:05:39'],
    ['2015-01-15T19:05:39.250', '2015-01-15 19:05:39'],
    ['01/15/2015 07:05:39 PM', '2015-01-15 19:05:39'],
    ['01/15/2015 12:05:39 AM', '2015-01-15 00:05:39'],
  ])('reads %s as %s', (text, wall) => {
    expect(formatWallTime(parseWallTime(text) as number)).toBe(wall);
  });

  it.each([
    '2015-02-29 10:00:00',
    '2015-01-15 24:00:00',
    '2015-13-01 10:00:00',
    '15/01/2015 10:00:00',
    '2015-01-15',
    '',
  ])('refuses %j', text => {
    expect(parseWallTime(text)).toBeUndefined();
  });

  it('measures trips across clock changes as the time that really passed', () => {
    const hours = (a: string, b: string) =>
      NY.elapsed(parseWallTime(a) as number, parseWallTime(b) as number) / 3_600_000;
    // Spring forward at 02:00 on 2024-03-10: 01:50 EST to 03:10 EDT is 20 minutes.
    expect(hours('2024-03-10 01:50:00', '2024-03-10 03:10:00')).toBeCloseTo(20 / 60);
    // A meter still on standard time writes 02:51, a time that never happened.
    expect(hours('2024-03-10 02:51:00', '2024-03-10 03:04:00')).toBeCloseTo(13 / 60);
    // Fall back at 02:00 on 2024-11-03: 01:50 EDT to 01:10 EST is 20 minutes.
    expect(hours('2024-11-03 01:50:00', '2024-11-03 01:10:00')).toBeCloseTo(20 / 60);
    expect(hours('2024-11-03 00:50:00', '2024-11-03 03:10:00')).toBeCloseTo(3 + 20 / 60);
    // An ordinary day, elsewhere.
    expect(
      new ZoneClock('Europe/Berlin').elapsed(
        parseWallTime('2024-07-01 10:00:00') as number,
        parseWallTime('2024-07-01 10:45:00') as number,
      ),
    ).toBe(45 * 60_000);
  });

  it('refuses an unknown time zone, naming it', () => {
    expect(() => new ZoneClock('America/Gotham')).toThrow(
      new InputError('--tz: unknown time zone "America/Gotham"'),
    );
  });
});

describe('a TLC trip as a ride', () => {
  it('converts miles to km and dropoff minus pickup to hours, keeping every TLC field', () => {
    const result = trip({ trip_distance: '.50', fare_amount: '7.5', store_and_fwd_flag: '0' });
    expect(result).toMatchObject({
      ok: true,
      date: '2024-03-05',
      ride_dist: 0.804672,
      ride_time: 0.5,
      fields: {
        tpep_pickup_datetime: '2024-03-05 08:00:00',
        trip_distance: 0.5,
        fare_amount: 7.5,
        // A flag stays text even when it looks like a number.
        store_and_fwd_flag: '0',
        PULocationID: null,
      },
    });
    if (!result.ok) throw new Error('not a ride');
    expect(Object.keys(tlcRide(result, 7)).slice(0, 4)).toEqual([
      'ride_id',
      'ride_dist',
      'ride_time',
      'VendorID',
    ]);
    expect(tlcRide(result, 7).ride_id).toBe('2024-03-05-7');
  });

  it('keeps zero distances, zero seconds and meters left running almost a day', () => {
    expect(trip({ trip_distance: '0' })).toMatchObject({ ok: true, ride_dist: 0 });
    expect(trip({ tpep_dropoff_datetime: '2024-03-05 08:00:00' })).toMatchObject({
      ok: true,
      ride_time: 0,
    });
    expect(trip({ tpep_dropoff_datetime: '2024-03-06 07:59:59' })).toMatchObject({ ok: true });
  });

  it.each([
    [
      { tpep_dropoff_datetime: '2024-03-05 07:59:00' },
      'tpep_dropoff_datetime 2024-03-05 07:59:00 is before tpep_pickup_datetime 2024-03-05 08:00:00',
    ],
    [{ tpep_dropoff_datetime: '2024-03-06 09:00:00' }, 'the trip lasts 25.0 h, more than 24 h'],
    [
      { tpep_pickup_datetime: 'yesterday' },
      'tpep_pickup_datetime "yesterday" is not a date and time',
    ],
    [{ trip_distance: '-1.2' }, 'trip_distance -1.2 is negative'],
    [{ trip_distance: '198000' }, 'trip_distance 198000 miles is more than 500'],
    [{ trip_distance: 'far' }, 'trip_distance "far" is not a number'],
    [{ trip_distance: undefined }, 'trip_distance is missing'],
  ])('refuses %j: %s', (cells, reason) => {
    expect(trip(cells)).toMatchObject({ ok: false, reasons: [reason] });
  });

  it('reads Parquet values: wall-clock Dates, instants, bigints', () => {
    if (!yellow) throw new Error('no layout');
    const cells = {
      tpep_pickup_datetime: new Date(Date.UTC(2024, 2, 5, 8, 0, 0)),
      tpep_dropoff_datetime: new Date(Date.UTC(2024, 2, 5, 8, 12, 0)),
      trip_distance: 3,
      payment_type: 2n,
    };
    expect(tlcTrip(yellow, cells, { clock: NY })).toMatchObject({
      ok: true,
      date: '2024-03-05',
      ride_time: 0.2,
      fields: { tpep_pickup_datetime: '2024-03-05 08:00:00', payment_type: 2 },
    });
    // Written as instants (isAdjustedToUTC): 13:00Z is 08:00 in New York in March.
    const instants = {
      ...cells,
      tpep_pickup_datetime: new Date(Date.UTC(2024, 2, 5, 13, 0, 0)),
      tpep_dropoff_datetime: new Date(Date.UTC(2024, 2, 5, 13, 12, 0)),
    };
    expect(tlcTrip(yellow, instants, { clock: NY, instants: true })).toMatchObject({
      ok: true,
      fields: { tpep_pickup_datetime: '2024-03-05 08:00:00' },
    });
  });
});
