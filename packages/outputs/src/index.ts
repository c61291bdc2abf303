export {
  type Alert,
  type AlertKind,
  failedAlert,
  lateAlert,
  sendAlert,
  summariesFailedAlert,
} from './alert.ts';
export {
  type DayOutputs,
  readTrend,
  renderDayReport,
  reportContextOf,
  TREND_DAYS,
  writeDayOutputs,
} from './day.ts';
export { type LatestPointer, readLatest } from './latest.ts';
export {
  type DayManifest,
  failedOverShare,
  type LlmBudget,
  type LlmPlan,
  manifestOf,
  type OutputFileEntry,
  readManifest,
  type Tally,
} from './manifest.ts';
export {
  PARQUET_COLUMNS,
  PARQUET_SCHEMA,
  type ParquetRow,
  parquetRow,
  parquetStream,
  ROW_GROUP_ROWS,
} from './parquet.ts';
export { type PublishDeps, publishDay } from './publish.ts';
export { extraFields } from './record.ts';
export {
  type AnomalyRow,
  type DayRides,
  DayRidesCollector,
  REPORT_TABLE_MAX,
} from './report/collect.ts';
export { documentHead, escapeHtml } from './report/html.ts';
export {
  REPORT_CSP,
  type ReportContext,
  renderReport,
  type TrendDay,
} from './report/render.ts';
export { SCATTER_POINTS_MAX, scatterSvg } from './report/scatter.ts';
export { type WebhookOptions, webhookMessage } from './webhook.ts';
