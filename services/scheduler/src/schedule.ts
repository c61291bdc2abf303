import { addDays, ConfigError, type RideDate, rideDateInZone } from '@etml/domain';
import { CronExpressionParser } from 'cron-parser';

/** A cron expression BullMQ will accept (cron-parser's syntax), or a ConfigError naming it. */
export function checkCron(pattern: string, tz: string, variable = 'SCHEDULE_CRON'): string {
  try {
    CronExpressionParser.parse(pattern, { tz, strict: false });
    return pattern;
  } catch (error) {
    throw new ConfigError([
      `${variable} must be a cron expression such as "0 6 * * *", got ${JSON.stringify(pattern)} (${(error as Error).message})`,
    ]);
  }
}

/**
 * The ride date a scheduled run is for: the calendar day before its scheduled fire time, in the
 * schedule's time zone. The fire time, not the clock: a run that starts late, or is retried
 * days later from the board, still processes the same date. Calendar arithmetic, not
 * 24-hour steps, so days of 23 or 25 hours (DST) change nothing.
 */
export function rideDateForFire(firedMs: number, tz: string): RideDate {
  return addDays(rideDateInZone(new Date(firedMs), tz), -1);
}

/** The ride date of the latest run that was due at `now`: what the schedule should have done. */
export function lastDueRideDate(pattern: string, tz: string, now: Date): RideDate {
  const cron = CronExpressionParser.parse(pattern, { tz, currentDate: now });
  return rideDateForFire(cron.prev().getTime(), tz);
}
