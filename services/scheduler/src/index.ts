export {
  checkCron,
  checkTimeZone,
  lastDueRideDate,
  rideDateForFire,
} from './schedule.ts';
