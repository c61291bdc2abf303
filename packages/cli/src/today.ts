import { InputError, type RideDate, rideDateInZone } from '@etml/domain';

/**
 * Today for every command: the calendar date now in SCHEDULE_TZ, the zone the scheduler names
 * its ride dates in, so the CLI and the schedule agree on which days are past.
 */
export function today(scheduleTz: string): RideDate {
  return rideDateInZone(new Date(), scheduleTz);
}

/** `date` when it is not after today in SCHEDULE_TZ; a day to come has no rides to process yet. */
export function checkNotFuture(date: RideDate, scheduleTz: string, flag = '--date'): RideDate {
  const now = today(scheduleTz);
  if (date > now) {
    throw new InputError(
      `${flag} ${date} is in the future (today is ${now} in SCHEDULE_TZ ${scheduleTz})`,
    );
  }
  return date;
}
