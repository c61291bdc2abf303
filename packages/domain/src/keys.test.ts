import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import { keys, OUTPUT_FILES, RAW_FORMATS } from './keys.ts';
import { parseRideDate } from './ride-date.ts';

const date = parseRideDate('2025-07-30');
const sha = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

describe('keys', () => {
  it('lays out raw input by date and format', () => {
    expect(keys.rawPrefix(date)).toBe('raw/date=2025-07-30/');
    expect(keys.raw(date, 'json')).toBe('raw/date=2025-07-30/rides.json');
    expect(keys.raw(date, 'jsonl')).toBe('raw/date=2025-07-30/rides.jsonl');
    expect(keys.raw(date, 'csv')).toBe('raw/date=2025-07-30/rides.csv');
    for (const format of RAW_FORMATS)
      expect(keys.raw(date, format).startsWith(keys.rawPrefix(date))).toBe(true);
  });

  it('lays out clustered and rejected rows by date', () => {
    expect(keys.clustered(date)).toBe('clustered/date=2025-07-30/rides.jsonl');
    expect(keys.rejected(date)).toBe('rejected/date=2025-07-30/rows.jsonl');
  });

  it('keys the summary cache by a sha256 hex digest', () => {
    expect(sha).toHaveLength(64);
    expect(keys.summaryCache(sha)).toBe(`cache/summaries/${sha}.json`);
  });

  it.each([
    ['uppercase hex', sha.toUpperCase()],
    ['too short', sha.slice(1)],
    ['too long', `${sha}0`],
    ['not hex', `${sha.slice(0, 63)}g`],
    ['a path', `../${sha.slice(3)}`],
    ['empty', ''],
  ])('rejects a summary cache key that is %s', (_, digest) => {
    expect(() => keys.summaryCache(digest)).toThrow(InputError);
    expect(() => keys.summaryCache(digest)).toThrow(JSON.stringify(digest));
  });

  it('lays out the outputs by date', () => {
    expect(keys.outputPrefix(date)).toBe('output/date=2025-07-30/');
    expect(keys.output(date, 'rides.jsonl')).toBe('output/date=2025-07-30/rides.jsonl');
    expect(keys.output(date, 'rides.parquet')).toBe('output/date=2025-07-30/rides.parquet');
    expect(keys.output(date, 'report.html')).toBe('output/date=2025-07-30/report.html');
    expect(keys.output(date, '_manifest.json')).toBe('output/date=2025-07-30/_manifest.json');
    expect(keys.manifest(date)).toBe('output/date=2025-07-30/_manifest.json');
    expect(OUTPUT_FILES).toEqual(['rides.jsonl', 'rides.parquet', 'report.html', '_manifest.json']);
  });
});
