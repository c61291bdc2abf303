export { type CachedSummary, SummaryCache } from './cache.ts';
export { loadEnv, type SummarizerChoice, type SummarizeWorkerEnv } from './env.ts';
export { type CallTokens, RequestLimiter } from './limiter.ts';
export { type DayBudget, planLlm } from './load/budget.ts';
export { loadProcessor } from './load/index.ts';
export { start, summarizerFor, workerSettings } from './main.ts';
export { summarizeProcessor } from './summarize.ts';
export { createSummarizeWorker, type SummarizeWorkerOptions } from './worker.ts';
