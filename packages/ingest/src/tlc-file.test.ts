import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@etml/domain';
import { packt, tlcSample } from '@etml/fixtures';
import {
  simulatedTlcTrips,
  TLC_COLUMNS,
  type TlcTripRow,
  type TlcVariant,
  tlcKeyColumns,
  writeTlcCsv,
  writeTlcParquet,
} from '@etml/testing/tlc-files';
import { afterAll, describe, expect, it } from 'vitest';
import { ZoneClock } from './tlc.ts';
import { openTlcFile, type TlcRow, tlcRides } from './tlc-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'etml-tlc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NY = new ZoneClock('America/New_York');

async function read(path: string): Promise<TlcRow[]> {
  const file = await openTlcFile(path, statSync(path).size);
  if (!file) throw new Error(`${path} is not a TLC file`);
  const rows: TlcRow[] = [];
  for await (const row of tlcRides(file, NY)) rows.push(row);
  return rows;
}

/** A month of trips with the rows real files have: zero, reversed, too long, another month. */
function messyTrips(variant: TlcVariant): TlcTripRow[] {
  const { pickup, dropoff, distance } = tlcKeyColumns(variant);
  const trips = [...simulatedTlcTrips({ month: '2024-02', trips: 300, variant, seed: 7 })];
  const at = (text: string) => new Date(`${text}Z`);
  const edit = (i: number, cells: TlcTripRow) => Object.assign(trips[i] as TlcTripRow, cells);
  edit(10, { [pickup]: at('2024-02-10T10:00:00'), [dropoff]: at('2024-02-10T10:00:00') });
  edit(11, { [pickup]: at('2024-02-10T10:00:00'), [dropoff]: at('2024-02-10T09:00:00') });
  edit(12, { [pickup]: at('2024-02-10T10:00:00'), [dropoff]: at('2024-02-11T09:59:59') });
  edit(13, { [pickup]: at('2024-02-10T10:00:00'), [dropoff]: at('2024-02-12T10:00:00') });
  edit(14, { [pickup]: at('2024-01-31T23:50:00'), [dropoff]: at('2024-02-01T00:10:00') });
  edit(15, { [distance]: 0 });
  return trips;
}

describe('TLC files', () => {
  it('reads the bundled January 2015 CSV: 1,999 trips, a ride each, in 27 days', async () => {
    const rows = await read(tlcSample.yellow201501Csv);
    const lines = readFileSync(tlcSample.yellow201501Csv, 'utf8').trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(lines.length);
    expect(rows.every(r => r.ok)).toBe(true);
    // Per pickup date, as the file's own text has them.
    const expected = new Map<string, number>();
    for (const line of lines) {
      const date = line.split(',')[1]?.slice(0, 10) as string;
      expected.set(date, (expected.get(date) ?? 0) + 1);
    }
    const got = new Map<string, number>();
    for (const row of rows) if (row.ok) got.set(row.date, (got.get(row.date) ?? 0) + 1);
    expect(got).toEqual(expected);
    expect(got.get('2015-01-07')).toBe(240);
  });

  describe.each(['yellow-zones', 'green-coordinates'] as const)('%s', variant => {
    const columns = TLC_COLUMNS[variant];
    it('gives the same rides from CSV and from Parquet, with the bad rows refused alike', async () => {
      const csv = join(dir, `${variant}.csv`);
      const parquet = join(dir, `${variant}.parquet`);
      writeTlcCsv(csv, columns, messyTrips(variant));
      await writeTlcParquet(parquet, columns, messyTrips(variant), { rowGroupRows: 64 });
      const fromCsv = await read(csv);
      const fromParquet = await read(parquet);
      expect(fromParquet).toEqual(fromCsv);
      expect(fromCsv).toHaveLength(300);
      const refused = fromCsv.filter(r => !r.ok);
      expect(refused.map(r => r.row)).toEqual([12, 14]);
      expect(fromCsv[10]).toMatchObject({ ok: true, ride: { ride_time: 0 } });
      expect(fromCsv[12]).toMatchObject({ ok: true, ride: { ride_time: 86_399 / 3600 } });
      expect(fromCsv[14]).toMatchObject({ ok: true, date: '2024-01-31' });
      expect(fromCsv[15]).toMatchObject({ ok: true, ride: { ride_dist: 0 } });
    });
  });

  it('reads Parquet times written as instants (isAdjustedToUTC) in the given zone', async () => {
    const columns = TLC_COLUMNS['yellow-zones'];
    const trips = [...simulatedTlcTrips({ month: '2024-07', trips: 5, variant: 'yellow-zones' })];
    // 2024-07-04 16:00Z is noon in New York.
    trips[0] = {
      ...trips[0],
      tpep_pickup_datetime: new Date('2024-07-04T16:00:00Z'),
      tpep_dropoff_datetime: new Date('2024-07-04T16:30:00Z'),
    };
    const path = join(dir, 'instants.parquet');
    await writeTlcParquet(path, columns, trips, { instants: true });
    const [first] = await read(path);
    expect(first).toMatchObject({
      ok: true,
      date: '2024-07-04',
      ride: { tpep_pickup_datetime: '2024-07-04 12:00:00', ride_time: 0.5 },
    });
  });

  it('refuses a truncated or corrupt Parquet file before giving any row', async () => {
    const columns = TLC_COLUMNS['yellow-zones'];
    const good = join(dir, 'good.parquet');
    await writeTlcParquet(
      good,
      columns,
      simulatedTlcTrips({ month: '2024-02', trips: 2_000, variant: 'yellow-zones' }),
      { rowGroupRows: 500 },
    );
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.parquet');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(openTlcFile(truncated, bytes.length - 100)).rejects.toThrow(
      new InputError('is a truncated Parquet file: it does not end with its footer'),
    );
    // A footer whose length points outside the file.
    const broken = Buffer.from(bytes);
    broken.writeUInt32LE(bytes.length * 2, bytes.length - 8);
    const corrupt = join(dir, 'corrupt.parquet');
    writeFileSync(corrupt, broken);
    await expect(openTlcFile(corrupt, broken.length)).rejects.toThrow(
      'is not a readable Parquet file',
    );
    // Data pages overwritten in the middle: found when that row group is read.
    const scrambled = Buffer.from(bytes);
    scrambled.fill(0xff, 4_000, 30_000);
    const mangled = join(dir, 'mangled.parquet');
    writeFileSync(mangled, scrambled);
    await expect(read(mangled)).rejects.toThrow(/row group \d+ \(rows \d+–\d+\) cannot be read/);
  });

  it('is none for a file in the seed format, and refuses a TLC header missing its times', async () => {
    expect(
      await openTlcFile(packt.ridesCh01Csv, statSync(packt.ridesCh01Csv).size),
    ).toBeUndefined();
    const path = join(dir, 'no-dropoff.csv');
    writeFileSync(path, 'VendorID,tpep_pickup_datetime,trip_distance\n1,2024-02-01 10:00:00,1.5\n');
    await expect(openTlcFile(path, statSync(path).size)).rejects.toThrow(
      'it has no tpep_dropoff_datetime',
    );
  });

  it('refuses a CSV row with the wrong number of fields and keeps the rest', async () => {
    const path = join(dir, 'ragged.csv');
    writeFileSync(
      path,
      'tpep_pickup_datetime,tpep_dropoff_datetime,trip_distance\n' +
        '2024-02-01 10:00:00,2024-02-01 10:10:00,1.5\n' +
        '2024-02-01 10:00:00,2024-02-01 10:10:00\n' +
        '2024-02-01 11:00:00,2024-02-01 11:10:00,2\n',
    );
    const rows = await read(path);
    expect(rows.map(r => (r.ok ? r.ride.ride_id : r.reasons))).toEqual([
      '2024-02-01-1',
      ['has 2 fields, the header has 3'],
      '2024-02-01-2',
    ]);
  });
});
