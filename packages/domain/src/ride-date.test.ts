import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import {
  addDays,
  compactRideDate,
  compareRideDates,
  daysBetween,
  isRideDate,
  parseRideDate,
  type RideDate,
  rideDateInZone,
  rideDateRange,
} from './ride-date.ts';

const d = (text: string) => parseRideDate(text);

describe('parseRideDate', () => {
  it.each([
    '2025-07-30',
    '2024-02-29',
    '2000-02-29',
    '1999-12-31',
    '2025-01-01',
    '2025-12-31',
    '0048-02-29',
  ])('accepts the real date %s unchanged', text => {
    expect(parseRideDate(text)).toBe(text);
    expect(isRideDate(text)).toBe(true);
  });

  it.each([
    '2025-02-30',
    '2025-7-3',
    '../x',
    '2023-02-29',
    '1900-02-29',
    '0050-02-29',
    '',
    '2025-13-01',
    '2025-00-10',
    '2025-04-31',
    '2025-07-30T00:00',
    ' 2025-07-30',
    '2025-07-30\n',
  ])('rejects %j with an InputError that shows the value', text => {
    const call = () => parseRideDate(text);
    expect(call).toThrow(InputError);
    expect(call).toThrow(JSON.stringify(text));
    expect(isRideDate(text)).toBe(false);
  });

  it('names the field it was given', () => {
    expect(() => parseRideDate('2025-02-30', '--from')).toThrow('--from "2025-02-30"');
    expect(() => parseRideDate('yesterday', '--to')).toThrow(/^--to must be YYYY-MM-DD/);
  });

  it('rejects values that are not strings', () => {
    expect(() => parseRideDate(20250730)).toThrow(InputError);
    expect(() => parseRideDate(undefined)).toThrow(InputError);
    expect(isRideDate(null)).toBe(false);
  });
});

describe('addDays', () => {
  it.each([
    ['2025-07-30', 1, '2025-07-31'],
    ['2025-07-31', 1, '2025-08-01'],
    ['2025-08-01', -1, '2025-07-31'],
    ['2025-12-31', 1, '2026-01-01'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2024-02-29', 1, '2024-03-01'],
    ['2024-03-01', -1, '2024-02-29'],
    ['2023-02-28', 1, '2023-03-01'],
    ['2023-03-01', -1, '2023-02-28'],
    ['2024-01-01', 365, '2024-12-31'],
    ['2023-01-01', 365, '2024-01-01'],
    ['2025-07-30', 0, '2025-07-30'],
    ['2025-03-30', 1, '2025-03-31'],
  ])('%s plus %d days is %s', (from, days, to) => {
    expect(addDays(d(from), days)).toBe(to);
  });

  it('refuses a fractional number of days', () => {
    expect(() => addDays(d('2025-07-30'), 0.5)).toThrow(InputError);
    expect(() => addDays(d('2025-07-30'), Number.NaN)).toThrow(InputError);
  });
});

describe('daysBetween and compareRideDates', () => {
  it.each([
    ['2025-07-30', '2025-07-30', 0],
    ['2025-07-30', '2025-07-31', 1],
    ['2025-07-31', '2025-07-30', -1],
    ['2024-02-28', '2024-03-01', 2],
    ['2023-02-28', '2023-03-01', 1],
    ['2024-12-31', '2025-01-01', 1],
    ['2024-01-01', '2025-01-01', 366],
    ['2025-01-01', '2026-01-01', 365],
  ])('from %s to %s is %d days', (a, b, days) => {
    expect(daysBetween(d(a), d(b))).toBe(days);
    expect(Math.sign(compareRideDates(d(b), d(a)))).toBe(Math.sign(days));
  });

  it('is the inverse of addDays', () => {
    const start = d('2023-11-15');
    for (const days of [-400, -31, -1, 1, 29, 366, 1000]) {
      expect(daysBetween(start, addDays(start, days))).toBe(days);
    }
  });

  it('sorts dates chronologically', () => {
    const dates = ['2025-01-02', '2024-12-31', '2025-01-01', '2024-02-29'].map(d);
    expect([...dates].sort(compareRideDates)).toEqual([
      '2024-02-29',
      '2024-12-31',
      '2025-01-01',
      '2025-01-02',
    ]);
  });
});

describe('rideDateRange', () => {
  it('includes both ends and crosses a leap day', () => {
    expect(rideDateRange(d('2024-02-27'), d('2024-03-01'))).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
  });

  it('crosses a year end', () => {
    expect(rideDateRange(d('2025-12-30'), d('2026-01-02'))).toEqual([
      '2025-12-30',
      '2025-12-31',
      '2026-01-01',
      '2026-01-02',
    ]);
  });

  it('is one day when both ends are equal', () => {
    expect(rideDateRange(d('2025-07-30'), d('2025-07-30'))).toEqual(['2025-07-30']);
  });

  it('throws an InputError naming both ends when reversed', () => {
    const call = () => rideDateRange(d('2025-07-31'), d('2025-07-30'));
    expect(call).toThrow(InputError);
    expect(call).toThrow('range start 2025-07-31 is after its end 2025-07-30');
  });
});

describe('rideDateInZone', () => {
  const lateEvening = new Date('2025-07-30T23:30:00Z');

  it('is the local calendar date of the instant', () => {
    expect(rideDateInZone(lateEvening, 'Europe/Berlin')).toBe('2025-07-31');
    expect(rideDateInZone(lateEvening, 'UTC')).toBe('2025-07-30');
    expect(rideDateInZone(new Date('2025-07-31T03:00:00Z'), 'America/Los_Angeles')).toBe(
      '2025-07-30',
    );
    expect(rideDateInZone(new Date('2025-12-31T12:00:00Z'), 'Pacific/Kiritimati')).toBe(
      '2026-01-01',
    );
  });

  it('gives a parseable RideDate', () => {
    const date: RideDate = rideDateInZone(new Date('2024-02-29T10:00:00Z'), 'Asia/Tokyo');
    expect(date).toBe('2024-02-29');
    expect(isRideDate(date)).toBe(true);
  });
});

describe('compactRideDate', () => {
  it('drops the dashes', () => {
    expect(compactRideDate(d('2025-07-30'))).toBe('20250730');
    expect(compactRideDate(d('2024-02-29'))).toBe('20240229');
  });
});
