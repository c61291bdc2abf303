export type { DayManifest } from '@etml/outputs';
export { type CachedSummary, SummaryCache } from './cache.ts';
export { loadEnv, type SummarizerChoice, type SummarizeWorkerEnv } from './env.ts';
export { RequestLimiter } from './limiter.ts';
export { type LoadDayResult, loadProcessor } from './load.ts';
export { start, summarizerFor, workerSettings } from './main.ts';
export { type SummarizeResult, summarizeProcessor } from './summarize.ts';
export { createSummarizeWorker, type SummarizeWorkerOptions } from './worker.ts';
