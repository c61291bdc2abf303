export { detectFormat, type ParsedRow, type ParseOptions, parseRows } from './parse.ts';
export {
  type CheckedRow,
  checkRows,
  describeRejection,
  type RowSummary,
  summarizeRows,
} from './validate.ts';
