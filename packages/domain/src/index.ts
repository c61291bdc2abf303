export { ClusteringRecord } from './clustering-record.ts';
export { CLOCK_TIME, dayDueBy } from './deadline.ts';
export {
  ConfigError,
  DependencyError,
  EtmlError,
  type EtmlErrorCode,
  InputError,
  NotFoundError,
} from './errors.ts';
export {
  DEFAULT_REDIS_PREFIX,
  keys,
  OUTPUT_FILES,
  type OutputFile,
  RAW_FORMATS,
  type RawFormat,
  redisKeys,
} from './keys.ts';
export {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  type LogSettings,
} from './log.ts';
export { parseDecimal } from './number.ts';
export {
  MAX_RIDE_MEASURE,
  MAX_TEXT_CHARS,
  NUMERIC_RIDE_FIELDS,
  type RawRide,
  RawRideSchema,
  type RideValidation,
  validateRide,
} from './ride.ts';
export {
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
export {
  ADDED_FIELDS,
  appendSummary,
  appendVerdict,
  INPUT_FIELDS,
  NO_SUMMARY,
  type OutputRecord,
  readOutputLine,
  readVerdict,
  SUMMARY_FIELDS,
  type Summary,
  VERDICT_FIELDS,
  type Verdict,
} from './ride-line.ts';
export {
  annotateSpan,
  installSpanRunner,
  type SpanAttributes,
  type SpanHandle,
  type SpanRunner,
  withNewTrace,
  withSpan,
} from './tracing.ts';
