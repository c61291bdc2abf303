/**
 * rides.parquet and report.html for a day whose rides.jsonl is in S3, in a fresh process, so the
 * test can read this process's peak RSS alone:
 *   ETML_TEST_S3='{"bucket":…}' node test/day-outputs-child.ts DATE SHA256
 * Prints one JSON line: peak RSS (bytes), seconds, and what was written.
 */
import { parseRideDate } from '@etml/domain';
import { writeDayOutputs } from '@etml/outputs';
import { createObjectStore } from '@etml/storage';
import type { S3Target } from '@etml/testing';
import { simulatedDayContext } from '@etml/testing/output-day';

const [dateText, sha256] = process.argv.slice(2);
const s3 = JSON.parse(process.env.ETML_TEST_S3 ?? '{}') as S3Target;
const store = createObjectStore({
  bucket: s3.bucket,
  prefix: '',
  endpoint: s3.endpoint,
  region: s3.region,
  credentials: s3.credentials,
});
const date = parseRideDate(dateText ?? '');
const started = performance.now();
const { parquet, report, rides } = await writeDayOutputs(
  store,
  date,
  { sha256: sha256 ?? '' },
  simulatedDayContext(date),
);
process.stdout.write(
  `${JSON.stringify({
    maxRss: process.resourceUsage().maxRSS * 1024,
    seconds: (performance.now() - started) / 1000,
    parquet,
    report,
    rides: rides.rides,
    anomalies: rides.anomalies,
  })}\n`,
);
