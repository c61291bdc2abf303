import { InputError } from './errors.ts';
import type { RideDate } from './ride-date.ts';

/**
 * The S3 key layout, relative to S3_PREFIX. Hive-style `date=` partitions let Athena, Glue and
 * DuckDB read the output directly.
 */
export const RAW_FORMATS = ['json', 'jsonl', 'csv'] as const;
export type RawFormat = (typeof RAW_FORMATS)[number];

export const OUTPUT_FILES = [
  'rides.jsonl',
  'rides.parquet',
  'report.html',
  '_manifest.json',
] as const;
export type OutputFile = (typeof OUTPUT_FILES)[number];

export const keys = {
  rawPrefix: (date: RideDate) => `raw/date=${date}/`,
  raw: (date: RideDate, format: RawFormat) => `raw/date=${date}/rides.${format}`,
  clustered: (date: RideDate) => `clustered/date=${date}/rides.jsonl`,
  rejected: (date: RideDate) => `rejected/date=${date}/rows.jsonl`,
  /** What clustering found, and the sha256 of clustered/rides.jsonl; written after it. */
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
