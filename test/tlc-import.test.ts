import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keys, parseRideDate } from '@etml/domain';
import { tlcSample } from '@etml/fixtures';
import type { ObjectStore } from '@etml/storage';
import { test } from '@etml/testing';
import {
  simulatedTlcTrips,
  TLC_COLUMNS,
  type TlcTripRow,
  writeTlcCsv,
  writeTlcParquet,
} from '@etml/testing/tlc-files';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, storeOf, tempDir } from './helpers.ts';
import { startPipeline } from './pipeline.ts';

/** The sample's trips per pickup date, from the file's own text. */
function sampleDays(): Map<string, number> {
  const days = new Map<string, number>();
  const lines = readFileSync(tlcSample.yellow201501Csv, 'utf8').trimEnd().split('\n').slice(1);
  for (const line of lines) {
    const date = line.split(',')[1]?.slice(0, 10) as string;
    days.set(date, (days.get(date) ?? 0) + 1);
  }
  return days;
}

async function keysIn(store: ObjectStore): Promise<string[]> {
  const found: string[] = [];
  for await (const item of store.list('')) found.push(item.key);
  return found.sort();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('etml import of NYC TLC trip records', () => {
  test('the bundled January 2015 sample becomes one raw day per pickup date, and its busiest day runs end to end', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const env = s3Env(s3);
    const store = storeOf(s3);
    const expected = sampleDays();

    const dry = await runEtml(['import', '--file', tlcSample.yellow201501Csv, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('dry run: would import 1999 rides into 27 days of 2015-01');
    expect(await keysIn(store)).toEqual([]);

    const result = await runEtml(['import', '--file', tlcSample.yellow201501Csv], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'imported 1999 rides into 27 days of 2015-01 from 1999 rows (0 rejected) of a yellow taxi CSV file (coordinates; times in America/New_York)',
    );
    expect(await keysIn(store)).toEqual(
      [...expected.keys()].sort().map(date => keys.raw(parseRideDate(date), 'jsonl')),
    );
    for (const [date, trips] of expected) {
      const rides = (await store.getBytes(keys.raw(parseRideDate(date), 'jsonl')))
        .toString()
        .trimEnd()
        .split('\n')
        .map(line => JSON.parse(line));
      expect(rides).toHaveLength(trips);
      expect(rides.map(r => r.ride_id)).toEqual(rides.map((_, i) => `${date}-${i + 1}`));
      expect(result.stdout).toContain(`${date}: ${trips} rides -> s3://`);
    }

    // The same file again gives the same bytes: deterministic ids, same order.
    const busiest = parseRideDate('2015-01-07');
    const first = sha256(await store.getBytes(keys.raw(busiest, 'jsonl')));
    expect((await runEtml(['import', '--file', tlcSample.yellow201501Csv], env)).code).toBe(0);
    expect(sha256(await store.getBytes(keys.raw(busiest, 'jsonl')))).toBe(first);

    // The busiest day through the real queues: every trip clustered, the TLC fields in the outputs.
    const pipeline = await startPipeline(redis, store);
    const day = await pipeline.runDay(busiest);
    expect(day.counts).toMatchObject({ rides: 240, valid: 240, rejected: 0 });
    const output = (await store.getBytes(keys.output(busiest, 'rides.jsonl'))).toString();
    const rides = output
      .trimEnd()
      .split('\n')
      .map(line => JSON.parse(line));
    expect(rides).toHaveLength(240);
    expect(rides[0]).toMatchObject({
      ride_id: '2015-01-07-1',
      tpep_pickup_datetime: expect.stringMatching(/^2015-01-07 /),
      fare_amount: expect.any(Number),
      label: expect.any(Number),
    });
    expect(rides.filter(r => r.anomaly).every(r => r.summary_source === 'extractive')).toBe(true);
  });

  test('etml demo --real imports the sample and runs its busiest day through the queues', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const result = await runEtml(['demo', '--real'], { ...s3Env(s3), REDIS_URL: redis.url });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'imported the bundled NYC TLC sample (1999 yellow-taxi trips of 2015-01) into 27 days; running the busiest, 2015-01-07 (240 rides)',
    );
    expect(result.stderr).toMatch(/2015-01-07: 240 rides, .* anomalies/);
    const manifest = await storeOf(s3).getJson<{ counts: { valid: number } }>(
      keys.manifest(parseRideDate('2015-01-07')),
    );
    expect(manifest.counts.valid).toBe(240);
    const flags = await runEtml(['demo', '--real', '--rides', '5'], s3Env(s3));
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--real runs the busiest day of the bundled TLC sample');
  });

  test('rows of other months and rows that cannot be rides are reported, not uploaded', async ({
    s3,
  }) => {
    const env = s3Env(s3);
    const store = storeOf(s3);
    const columns = TLC_COLUMNS['green-zones'];
    const trips: TlcTripRow[] = [
      ...simulatedTlcTrips({ month: '2024-02', trips: 60, variant: 'green-zones' }),
    ];
    const at = (text: string) => new Date(`${text}Z`);
    Object.assign(trips[3] as TlcTripRow, {
      lpep_pickup_datetime: at('2024-02-05T10:00:00'),
      lpep_dropoff_datetime: at('2024-02-05T09:00:00'),
    });
    Object.assign(trips[4] as TlcTripRow, {
      lpep_pickup_datetime: at('2024-01-31T23:00:00'),
      lpep_dropoff_datetime: at('2024-01-31T23:20:00'),
    });
    Object.assign(trips[5] as TlcTripRow, { trip_distance: -3 });
    Object.assign(trips[6] as TlcTripRow, {
      lpep_pickup_datetime: at('2024-03-01T00:05:00'),
      lpep_dropoff_datetime: at('2024-03-01T00:01:00'),
    });
    const path = join(tempDir(), 'green.parquet');
    await writeTlcParquet(path, columns, trips);
    // Something already there for the other month's day stays as it was.
    const january = parseRideDate('2024-01-31');
    await store.putBytes(
      keys.raw(january, 'csv'),
      'ride_id,ride_dist,ride_time\n1,1,1\n',
      'text/csv',
    );

    const result = await runEtml(['import', '--file', path], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('row 4: lpep_dropoff_datetime 2024-02-05 09:00:00 is before');
    expect(result.stdout).toContain('row 6: trip_distance -3 is negative');
    expect(result.stdout).toContain(
      '2024-03-01 (another month): 1 rejected\n    row 7: lpep_dropoff_datetime 2024-03-01 00:01:00 is before',
    );
    expect(result.stdout).toContain(
      "rides outside the file's month 2024-02: 1 not imported (2024-01-31: 1); import their own month's file",
    );
    expect(result.stderr).toContain('imported 56 rides into');
    expect(result.stderr).toContain('(3 rejected) of a green taxi PARQUET file (zones;');
    const uploaded = await keysIn(store);
    expect(uploaded).toContain(keys.raw(january, 'csv'));
    expect(uploaded.filter(k => k.startsWith('raw/date=2024-01'))).toHaveLength(1);
    let lines = 0;
    for (const key of uploaded.filter(k => k.startsWith('raw/date=2024-02'))) {
      lines += (await store.getBytes(key)).toString().trimEnd().split('\n').length;
    }
    expect(lines).toBe(56);
  });

  test.for([
    [
      'a file that is not a TLC layout',
      'not-tlc.csv',
      'a,b,c\n1,2,3\n',
      'is not a TLC trip-record file',
    ],
    [
      'a CSV whose header misses the dropoff time',
      'no-dropoff.csv',
      'VendorID,tpep_pickup_datetime,trip_distance\n1,2024-02-01 10:00:00,1\n',
      'it has no tpep_dropoff_datetime',
    ],
    [
      'a truncated Parquet file',
      'cut.parquet',
      'PAR1\u0000\u0000\u0000\u0000',
      'is a truncated Parquet file',
    ],
  ] as const)(
    '%s: one line, exit 2, nothing uploaded',
    async ([, name, content, message], { s3 }) => {
      const path = join(tempDir(), name);
      writeFileSync(path, content);
      const result = await runEtml(['import', '--file', path], s3Env(s3));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(await keysIn(storeOf(s3))).toEqual([]);
    },
  );

  test('etml upload points a TLC file to etml import', async ({ s3 }) => {
    const result = await runEtml(
      ['upload', '--date', '2015-01-07', '--file', tlcSample.yellow201501Csv],
      s3Env(s3),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a NYC TLC trip-record file; it goes in with etml import');
    expect(await keysIn(storeOf(s3))).toEqual([]);
  });

  test('an unknown --tz: one line, exit 2, nothing uploaded', async ({ s3 }) => {
    const result = await runEtml(
      ['import', '--file', tlcSample.yellow201501Csv, '--tz', 'America/Gotham'],
      s3Env(s3),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('etml: --tz: unknown time zone "America/Gotham"\n');
    expect(await keysIn(storeOf(s3))).toEqual([]);
  });
});

describe('etml cluster on TLC files', () => {
  test.for(['csv', 'parquet'] as const)('clusters a TLC %s file directly', async format => {
    const dir = tempDir();
    const columns = TLC_COLUMNS['yellow-coordinates'];
    const trips = [
      ...simulatedTlcTrips({ month: '2015-06', trips: 500, variant: 'yellow-coordinates' }),
    ];
    Object.assign(trips[9] as TlcTripRow, { trip_distance: null });
    const input = join(dir, `trips.${format}`);
    if (format === 'csv') writeTlcCsv(input, columns, trips);
    else await writeTlcParquet(input, columns, trips);
    const output = join(dir, 'out.jsonl');
    const result = await runEtml(['cluster', '--input', input, '--output', output]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `clustered 499 rides from ${input} (TLC yellow taxi ${format})`,
    );
    const rides = readFileSync(output, 'utf8')
      .trimEnd()
      .split('\n')
      .map(line => JSON.parse(line));
    expect(rides).toHaveLength(499);
    expect(rides[0]).toMatchObject({ RatecodeID: 1, anomaly: expect.any(Boolean) });
    const rejected = readFileSync(`${output}.rejected.jsonl`, 'utf8').trimEnd().split('\n');
    expect(rejected.map(line => JSON.parse(line))).toEqual([
      { row: 10, reasons: ['trip_distance is missing'] },
    ]);
  });
});
