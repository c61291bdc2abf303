import { InputError } from './errors.ts';
import type { RideDate } from './ride-date.ts';

/** The raw input formats, each its own key extension. */
export const RAW_FORMATS = ['json', 'jsonl', 'csv'] as const;
export type RawFormat = (typeof RAW_FORMATS)[number];

export const OUTPUT_FILES = [
  'rides.jsonl',
  'rides.parquet',
  'report.html',
  '_manifest.json',
] as const;
export type OutputFile = (typeof OUTPUT_FILES)[number];

/**
 * The S3 key layout, relative to S3_PREFIX. Hive-style `date=` partitions let Athena, Glue and
 * DuckDB read the output directly.
 */
export const keys = {
  rawPrefix: (date: RideDate) => `raw/date=${date}/`,
  raw: (date: RideDate, format: RawFormat) => `raw/date=${date}/rides.${format}`,
  clustered: (date: RideDate) => `clustered/date=${date}/rides.jsonl`,
  rejected: (date: RideDate) => `rejected/date=${date}/rows.jsonl`,
  /** A `ClusteringRecord`: what clustering found, and the sha256 of clustered/rides.jsonl; written after it. */
  clustering: (date: RideDate) => `clustered/date=${date}/_clustering.json`,
  /** The day's distinct prompt inputs, which its summarize jobs name by sha256. */
  prompts: (date: RideDate) => `clustered/date=${date}/prompts.jsonl`,
  summaryCache: (sha256: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      throw new InputError(
        `summary cache key must be a sha256 hex digest, got ${JSON.stringify(sha256)}`,
      );
    }
    return `cache/summaries/${sha256}.json`;
  },
  outputPrefix: (date: RideDate) => `output/date=${date}/`,
  output: (date: RideDate, file: OutputFile) => `output/date=${date}/${file}`,
  manifest: (date: RideDate) => `output/date=${date}/_manifest.json`,
  /** The newest complete day, written after its manifest. */
  latest: 'output/_latest.json',
} as const;

/**
 * Every Redis key the project writes starts with this prefix, BullMQ's included (its `prefix`
 * option, instead of its default `bull`). The braces are a Redis Cluster hash tag: every key
 * hashes to one slot, as BullMQ's scripts and the multi-key scripts here need on a Cluster.
 */
export const DEFAULT_REDIS_PREFIX = '{etml}';

/**
 * The pipeline's own Redis keys under `prefix`, beside BullMQ's `<prefix>:<queue>:…` (no queue is
 * named like any of these).
 */
export function redisKeys(prefix: string) {
  return {
    /** Counters for /metrics, a hash: the work done, so a rerun counts again. */
    metrics: `${prefix}:metrics`,
    /** Held while output/_latest.json moves, one day at a time across every worker. */
    latestLock: `${prefix}:lock:latest`,
    /** Held by the scheduler instance that catches up missed days. */
    catchUpLock: `${prefix}:catch-up`,
    /** The LLM requests of the sliding window, shared by every summarize-worker. */
    llmRequests: `${prefix}:llm-requests`,
    /** Set when the provider says the quota is spent: no worker calls until it expires. */
    llmQuotaExhausted: `${prefix}:llm-quota-exhausted`,
    /** The single flight of one prompt's summary, and its result for those who waited. */
    summaryLock: (cacheKey: string) => `${prefix}:summary-lock:${cacheKey}`,
    summaryDone: (cacheKey: string) => `${prefix}:summary-done:${cacheKey}`,
    /** The sha256s of the outputs last announced for a day, so a rerun of the same bytes is quiet. */
    webhookPosted: (date: RideDate) => `${prefix}:webhook:${date}`,
    /** Set once a day's alert of this kind was posted: each is sent once. */
    alertSent: (date: RideDate, kind: string) => `${prefix}:alert:${kind}:${date}`,
    /** Held by the scheduler instance that checks REPORT_DEADLINE. */
    deadlineLock: `${prefix}:deadline-check`,
  } as const;
}
