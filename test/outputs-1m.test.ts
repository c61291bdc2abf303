import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { keys, parseRideDate } from '@etml/domain';
import { ndjsonChunks } from '@etml/storage';
import { test } from '@etml/testing';
import { simulatedOutputDay } from '@etml/testing/output-day';
import { describe, expect } from 'vitest';
import { ROOT, storeOf, tempDir } from './helpers.ts';

const RIDES = 1_000_000;
const LIMIT = 1.5 * 1024 ** 3;

describe('a 1M-ride day', () => {
  test('gets its rides.parquet and report.html within 1.5 GB RSS, every row in DuckDB', {
    timeout: 600_000,
  }, async ({ s3 }) => {
    const store = storeOf(s3);
    const date = parseRideDate('2025-07-30');
    let anomalies = 0;
    // rides.jsonl as the load step writes it, every injected anomaly with a summary.
    const written = await store.putStream(
      keys.output(date, 'rides.jsonl'),
      ndjsonChunks(
        (function* () {
          for (const ride of simulatedOutputDay({ date, rides: RIDES, seed: 5 })) {
            if (ride.anomaly) anomalies += 1;
            yield ride;
          }
        })(),
      ),
      'application/x-ndjson',
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'test', 'day-outputs-child.ts'), date, written.sha256],
      { env: { ...process.env, ETML_TEST_S3: JSON.stringify(s3) }, maxBuffer: 1 << 20 },
    );
    const run = JSON.parse(stdout) as {
      maxRss: number;
      seconds: number;
      parquet: { bytes: number };
      report: { bytes: number };
      rides: number;
      anomalies: number;
    };
    console.log(
      `1M rides: ${(written.bytes / 1e6).toFixed(0)} MB JSONL -> ${(run.parquet.bytes / 1e6).toFixed(1)} MB Parquet + ` +
        `${(run.report.bytes / 1e6).toFixed(2)} MB report in ${run.seconds.toFixed(1)} s, peak RSS ${(run.maxRss / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(run.maxRss).toBeLessThan(LIMIT);
    expect(run).toMatchObject({ rides: RIDES, anomalies });

    const file = join(tempDir(), 'rides.parquet');
    writeFileSync(file, await store.getBytes(keys.output(date, 'rides.parquet')));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const [counts] = (
      await duck.runAndReadAll(
        `SELECT count(*) AS rides, count(*) FILTER (anomaly) AS anomalies,
                count(*) FILTER (summary IS NOT NULL) AS summaries FROM '${file}'`,
      )
    ).getRowObjectsJson();
    expect(counts).toEqual({
      rides: String(RIDES),
      anomalies: String(anomalies),
      summaries: String(anomalies),
    });
    const html = (await store.getBytes(keys.output(date, 'report.html'))).toString();
    expect(html).toContain('normal rides are drawn as density cells');
    expect(run.report.bytes).toBeLessThan(8 * 2 ** 20);
  });
});
