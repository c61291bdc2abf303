export { type CachedSummary, SummaryCache, type SummaryCacheOptions } from './cache.ts';
