export { detectFormat, type ParsedRow, type ParseOptions, parseRows } from './parse.ts';
export {
  MAX_TRIP_HOURS,
  MAX_TRIP_MILES,
  MILES_TO_KM,
  parseWallTime,
  TLC_REQUIRED,
  type TlcCell,
  type TlcLayout,
  type TlcTrip,
  tlcLayout,
  tlcRide,
  tlcTrip,
  ZoneClock,
} from './tlc.ts';
export { openTlcFile, type TlcFile, type TlcRow, tlcRides } from './tlc-file.ts';
export {
  type CheckedRow,
  checkRows,
  describeRejection,
  type RowSummary,
  summarizeRows,
} from './validate.ts';
