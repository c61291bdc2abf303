import { addDays, type RideDate, rideDateInZone } from './ride-date.ts';

/** `HH:MM`, 00:00 to 23:59: REPORT_DEADLINE's form. */
export const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The wall-clock `HH:MM` of an instant in an IANA time zone. */
function clockIn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);
}

/**
 * The ride date that should be complete by now: the day before today in `timeZone`, once today's
 * `deadline` (`HH:MM` there) has passed; undefined before it. Compared as local wall-clock text,
 * so a deadline skipped by a DST change counts as passed from the next minute that exists.
 */
export function dayDueBy(deadline: string, timeZone: string, now: Date): RideDate | undefined {
  if (clockIn(now, timeZone) < deadline) return undefined;
  return addDays(rideDateInZone(now, timeZone), -1);
}
