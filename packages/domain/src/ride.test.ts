import { readFileSync } from 'node:fs';
import { packt } from '@etml/fixtures';
import { describe, expect, it } from 'vitest';
import { RawRideSchema, validateRide } from './ride.ts';

const seedRides = JSON.parse(readFileSync(packt.rides20230524Json, 'utf8')) as Record<
  string,
  unknown
>[];

const minimal = { ride_id: 'r1', ride_dist: 3.2, ride_time: 0.11 };

function reasonsFor(value: unknown): string[] {
  const result = validateRide(value);
  if (result.ok) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return result.reasons;
}

describe('validateRide', () => {
  it('accepts the first rows of the seed file as they are', () => {
    const rows = seedRides.slice(0, 25);
    expect(rows).toHaveLength(25);
    for (const row of rows) {
      const result = validateRide(row);
      expect(result).toEqual({ ok: true, ride: row });
    }
  });

  it('keeps unknown extra fields', () => {
    const row = { ...minimal, tip: 2.5, driver: { name: 'Ailsa' }, tags: ['airport'] };
    const result = validateRide(row);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.ride).toEqual(row);
    expect(result.ride.tip).toBe(2.5);
  });

  it('accepts zero distance and time, and null optional fields', () => {
    const row = { ...minimal, ride_dist: 0, ride_time: 0, ride_speed: null, news: null };
    expect(validateRide(row).ok).toBe(true);
  });

  it.each([
    ['ride_dist', -1, '-1'],
    ['ride_dist', Number.NaN, 'NaN'],
    ['ride_dist', Number.POSITIVE_INFINITY, 'Infinity'],
    ['ride_dist', 'abc', '"abc"'],
    ['ride_dist', null, 'null'],
    ['ride_time', -0.5, '-0.5'],
    ['ride_time', Number.NaN, 'NaN'],
    ['ride_time', Number.NEGATIVE_INFINITY, '-Infinity'],
    ['ride_time', 'abc', '"abc"'],
    ['ride_speed', Number.NaN, 'NaN'],
    ['selection_idx', 1.5, '1.5'],
  ])('rejects %s = %s, naming the field and the value', (field, value, shown) => {
    const reasons = reasonsFor({ ...minimal, [field]: value });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(field);
    expect(reasons[0]).toContain(`got ${shown}`);
  });

  it('rejects a numeric string rather than coercing it', () => {
    const reasons = reasonsFor({ ...minimal, ride_dist: '3.2' });
    expect(reasons[0]).toContain('ride_dist');
    expect(reasons[0]).toContain('"3.2"');
  });

  it.each(['ride_dist', 'ride_time', 'ride_id'])('rejects a row without %s', field => {
    const row: Record<string, unknown> = { ...minimal };
    delete row[field];
    expect(reasonsFor(row)).toEqual([`${field} is missing`]);
  });

  it('refuses a numeric ride_id too large to keep every digit', () => {
    const result = validateRide({ ride_id: 2 ** 53, ride_dist: 1, ride_time: 0.1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reasons[0]).toContain('write larger ids as strings');
    expect(validateRide({ ride_id: '9007199254740993', ride_dist: 1, ride_time: 0.1 }).ok).toBe(
      true,
    );
  });

  it('reports every bad field at once', () => {
    const reasons = reasonsFor({ ride_id: 'r1', ride_dist: -1, ride_time: 'abc' });
    expect(reasons).toHaveLength(2);
    expect(reasons.find(r => r.includes('ride_dist'))).toContain('-1');
    expect(reasons.find(r => r.includes('ride_time'))).toContain('"abc"');
  });

  it.each([null, undefined, 'ride', 42, [minimal], true])('rejects the non-object %j', value => {
    const reasons = reasonsFor(value);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^row must be an object/);
  });

  it('shows a long bad value shortened', () => {
    const reasons = reasonsFor({ ...minimal, ride_dist: 'x'.repeat(500) });
    expect(reasons[0]).toContain('ride_dist');
    expect(reasons[0]!.length).toBeLessThan(150);
  });

  describe('ride_id', () => {
    it('may be a string or a number', () => {
      expect(validateRide({ ...minimal, ride_id: '202305240' }).ok).toBe(true);
      expect(validateRide({ ...minimal, ride_id: 202305240 }).ok).toBe(true);
      expect(validateRide({ ...minimal, ride_id: 0 }).ok).toBe(true);
    });

    it('may not be an empty string', () => {
      const reasons = reasonsFor({ ...minimal, ride_id: '' });
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toContain('ride_id');
      expect(reasons[0]).toContain('got ""');
    });

    it('may not be another type', () => {
      expect(reasonsFor({ ...minimal, ride_id: true })[0]).toContain('ride_id');
      expect(reasonsFor({ ...minimal, ride_id: { id: 1 } })[0]).toContain('ride_id');
    });
  });
});

describe('validateRide fast path', () => {
  // The fast path must agree with the zod schema on every row, good or bad.
  const values: Record<string, unknown[]> = {
    ride_id: ['a', '', 0, -3, 1.5, 2 ** 53, 2 ** 53 - 1, null, undefined, true, {}],
    ride_dist: [
      0,
      1.5,
      -0,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.MAX_VALUE,
      '1',
      null,
      undefined,
    ],
    ride_time: [0, 0.25, -0.1, Number.NaN, '0.1', undefined],
    ride_speed: [undefined, null, 30, -5, Number.NaN, Number.POSITIVE_INFINITY, '30'],
    selection_idx: [undefined, null, 0, 2, 1.5, -1, 2 ** 60, '1'],
    news: [undefined, null, '', 'text', 5],
  };
  const base = { ride_id: 'r', ride_dist: 1, ride_time: 0.1 };

  it.each(Object.keys(values))('agrees with the schema for every %s value', field => {
    for (const value of values[field] as unknown[]) {
      const row = { ...base, [field]: value };
      expect({ field, value, ok: validateRide(row).ok }).toEqual({
        field,
        value,
        ok: RawRideSchema.safeParse(row).success,
      });
    }
  });
});
