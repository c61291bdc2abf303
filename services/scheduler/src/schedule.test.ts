import { ConfigError } from '@etml/domain';
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { checkCron, lastDueRideDate, rideDateForFire } from './schedule.ts';

const at = (iso: string) => Date.parse(iso);

describe('rideDateForFire', () => {
  it.each([
    ['UTC', '2025-07-31T06:00:00Z', '2025-07-30'],
    ['UTC', '2025-08-01T00:00:00Z', '2025-07-31'],
    ['UTC', '2025-07-31T23:59:59Z', '2025-07-30'],
    ['UTC', '2024-03-01T06:00:00Z', '2024-02-29'],
    ['UTC', '2026-01-01T06:00:00Z', '2025-12-31'],
    // 00:30 on 31 March in London is BST (UTC+1): still 30 March in UTC.
    ['Europe/London', '2025-03-30T23:30:00Z', '2025-03-30'],
    // The night the clocks go forward (30 March 2025, 01:00 UTC): 02:30 BST.
    ['Europe/London', '2025-03-30T01:30:00Z', '2025-03-29'],
    // The night they go back (26 October 2025): 01:30 happens twice; both are the 26th.
    ['Europe/London', '2025-10-26T00:30:00Z', '2025-10-25'],
    ['Europe/London', '2025-10-26T01:30:00Z', '2025-10-25'],
    // 23:59 EST on 2 November (the fall-back day) is 04:59 UTC on the 3rd.
    ['America/New_York', '2025-11-03T04:59:00Z', '2025-11-01'],
    ['America/New_York', '2025-11-03T05:00:00Z', '2025-11-02'],
    // Midnight after the spring-forward day (9 March 2025), EDT (UTC-4).
    ['America/New_York', '2025-03-10T04:00:00Z', '2025-03-09'],
    ['America/New_York', '2025-03-10T03:59:00Z', '2025-03-08'],
    ['Asia/Kolkata', '2025-07-30T18:40:00Z', '2025-07-30'],
    ['Pacific/Kiritimati', '2025-07-30T10:00:00Z', '2025-07-30'],
    ['Pacific/Pago_Pago', '2025-07-31T10:59:00Z', '2025-07-29'],
  ])('%s: a run due at %s is for %s', (tz, fired, expected) => {
    expect(rideDateForFire(at(fired), tz)).toBe(expected);
  });

  it.each([
    ['Europe/London', '0 6 * * *', '2025-03-25', '2025-04-05'],
    ['Europe/London', '30 1 * * *', '2025-03-25', '2025-04-05'],
    ['Europe/London', '30 1 * * *', '2025-10-20', '2025-11-02'],
    ['America/New_York', '30 2 * * *', '2025-03-05', '2025-03-15'],
    ['America/New_York', '30 1 * * *', '2025-10-28', '2025-11-08'],
    ['Europe/Berlin', '30 2 * * *', '2025-03-25', '2025-04-05'],
    ['Europe/Berlin', '30 2 * * *', '2025-10-20', '2025-11-02'],
  ])(
    '%s "%s": the daily runs from %s to %s cover every ride date, none skipped',
    (tz, pattern, from, to) => {
      const cron = CronExpressionParser.parse(pattern, {
        tz,
        currentDate: new Date(`${from}T12:00:00Z`),
      });
      const dates: string[] = [];
      for (;;) {
        const fired = cron.next().getTime();
        if (fired > Date.parse(`${to}T12:00:00Z`)) break;
        dates.push(rideDateForFire(fired, tz));
      }
      // A repeated local time may fire twice for one date; deterministic job ids make that one job.
      const distinct = [...new Set(dates)];
      for (let i = 1; i < distinct.length; i += 1) {
        const gap =
          (Date.parse(distinct[i] as string) - Date.parse(distinct[i - 1] as string)) / 86_400_000;
        expect(gap, `${distinct[i - 1]} -> ${distinct[i]}`).toBe(1);
      }
      expect(distinct.length).toBeGreaterThanOrEqual(8);
    },
  );
});

describe('lastDueRideDate', () => {
  it('is yesterday once today’s run was due, and the day before until then', () => {
    expect(lastDueRideDate('0 6 * * *', 'UTC', new Date('2025-07-31T06:00:01Z'))).toBe(
      '2025-07-30',
    );
    expect(lastDueRideDate('0 6 * * *', 'UTC', new Date('2025-07-31T05:59:00Z'))).toBe(
      '2025-07-29',
    );
    expect(lastDueRideDate('0 6 * * *', 'Europe/London', new Date('2025-07-31T05:30:00Z'))).toBe(
      '2025-07-30',
    );
  });
});

describe('configuration checks', () => {
  it('name the variable and the value', () => {
    expect(() => checkCron('61 6 * * *', 'UTC')).toThrow(/SCHEDULE_CRON .*"61 6 \* \* \*"/);
    expect(() => checkCron('every morning', 'UTC')).toThrow(ConfigError);
    expect(checkCron('0 6 * * *', 'Europe/London')).toBe('0 6 * * *');
  });
});
