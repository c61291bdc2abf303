export { type CatchUpDeps, catchUp } from './catch-up.ts';
export { loadEnv, type SchedulerEnv } from './env.ts';
export { start } from './main.ts';
export { checkCron, lastDueRideDate, rideDateForFire } from './schedule.ts';
export { createScheduler, ensureSchedule, SCHEDULER_ID } from './scheduler.ts';
