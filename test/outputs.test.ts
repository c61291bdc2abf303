import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { keys, type OutputRecord, parseRideDate, type RideDate } from '@etml/domain';
import type { DayManifest, LatestPointer } from '@etml/outputs';
import type { ObjectStore } from '@etml/storage';
import { test } from '@etml/testing';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, storeOf, tempDir } from './helpers.ts';
import { startPipeline, uploadSimulatedDay } from './pipeline.ts';

const day = (text: string) => parseRideDate(text);

async function jsonlRecords(store: ObjectStore, date: RideDate): Promise<OutputRecord[]> {
  const text = (await store.getBytes(keys.output(date, 'rides.jsonl'))).toString('utf8');
  return text
    .trimEnd()
    .split('\n')
    .map(line => JSON.parse(line) as OutputRecord);
}

async function parquetRecords(store: ObjectStore, date: RideDate) {
  const bytes = await store.getBytes(keys.output(date, 'rides.parquet'));
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return parquetReadObjects({ file: file as ArrayBuffer });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe("a day's dashboard outputs", () => {
  test('rides.parquet holds the rows of rides.jsonl, typed, for hyparquet and DuckDB; the manifest lists every file; _latest.json only moves forward', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const pipeline = await startPipeline(redis, store);
    const [d28, d29, d30] = [day('2025-07-28'), day('2025-07-29'), day('2025-07-30')];
    for (const [i, date] of [d28, d29, d30].entries()) {
      await uploadSimulatedDay(store, date, 1_500, 20 + i);
    }
    await pipeline.runDay(d29);
    await pipeline.runDay(d30);
    const first = await store.getJson<DayManifest>(keys.manifest(d30));

    // A forced rerun writes the very same bytes, and `etml report` renders the same page.
    await pipeline.runDay(d30);
    const again = await store.getJson<DayManifest>(keys.manifest(d30));
    expect(again.files).toEqual(first.files);
    const out = join(tempDir(), 'report.html');
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const cli = await runEtml(['report', '--date', d30, '--out', out], env);
    expect(cli.stderr).toBe(`report for ${d30} written; open it in a browser:\n`);
    expect(cli.code).toBe(0);
    expect(sha256(readFileSync(out))).toBe(first.files['report.html']?.sha256);
    const missing = await runEtml(['report', '--date', '2025-07-31'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('2025-07-31 is not complete');
    const bad = await runEtml(['report', '--date', '2025-02-30'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--date');

    // A backfill of an older day after the newest: the pointer stays on the newest.
    await pipeline.runDay(d28);

    // Parquet against JSONL, row by row, through a reader that is not the writer's.
    const jsonl = await jsonlRecords(store, d30);
    const parquet = await parquetRecords(store, d30);
    expect(parquet).toHaveLength(jsonl.length);
    expect(jsonl.filter(r => r.anomaly).length).toBeGreaterThan(10);
    parquet.forEach((row, i) => {
      const r = jsonl[i] as OutputRecord;
      expect(row).toEqual({
        ride_id: String(r.ride_id),
        ride_dist: r.ride_dist,
        ride_time: r.ride_time,
        ride_speed: r.ride_speed ?? null,
        selection_idx: typeof r.selection_idx === 'number' ? BigInt(r.selection_idx) : null,
        news: r.news ?? null,
        weather: r.weather ?? null,
        traffic: r.traffic ?? null,
        label: r.label,
        anomaly: r.anomaly,
        anomaly_reasons: r.anomaly_reasons,
        anomaly_score: r.anomaly_score,
        summary: r.summary,
        summary_source: r.summary_source,
        likely_cause: r.likely_cause,
        summary_error: r.summary_error,
        // The simulator's ground truth is not a seed-format field: it travels in `extra`.
        extra: r.injected_anomaly === undefined ? null : { injected_anomaly: r.injected_anomaly },
      });
    });

    // DuckDB reads the date partitions as one table, with the types dashboards need.
    const lake = tempDir('etml-lake-');
    const manifests: Record<string, DayManifest> = {};
    for (const date of [d28, d29, d30]) {
      mkdirSync(join(lake, `date=${date}`));
      writeFileSync(
        join(lake, `date=${date}`, 'rides.parquet'),
        await store.getBytes(keys.output(date, 'rides.parquet')),
      );
      manifests[date] = await store.getJson<DayManifest>(keys.manifest(date));
    }
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const glob = `read_parquet('${lake}/date=*/rides.parquet', hive_partitioning = true)`;
    const types = Object.fromEntries(
      (await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${glob}`))
        .getRowObjectsJson()
        .map(row => [row.column_name, row.column_type]),
    );
    expect(types).toMatchObject({
      ride_id: 'VARCHAR',
      ride_dist: 'DOUBLE',
      ride_time: 'DOUBLE',
      ride_speed: 'DOUBLE',
      selection_idx: 'BIGINT',
      label: 'INTEGER',
      anomaly: 'BOOLEAN',
      anomaly_reasons: 'VARCHAR[]',
      anomaly_score: 'DOUBLE',
      summary: 'VARCHAR',
      summary_source: 'VARCHAR',
      likely_cause: 'VARCHAR',
      date: 'DATE',
    });
    const perDay = (
      await duck.runAndReadAll(
        `SELECT strftime(date, '%Y-%m-%d') AS date, count(*) AS rides, count(*) FILTER (anomaly) AS anomalies,
                count(*) FILTER (len(anomaly_reasons) > 0) AS with_reasons
         FROM ${glob} GROUP BY ALL ORDER BY date`,
      )
    ).getRowObjectsJson();
    expect(perDay).toEqual(
      [d28, d29, d30].map(date => ({
        date,
        rides: String(manifests[date]?.counts.valid),
        anomalies: String(manifests[date]?.counts.anomalies),
        with_reasons: String(manifests[date]?.counts.anomalies),
      })),
    );
    // `extra` is a JSON object DuckDB can look into, not a JSON string holding one.
    const injected = (
      await duck.runAndReadAll(
        `SELECT json_type(extra) AS type, extra->>'injected_anomaly' AS injected, count(*) AS rides
         FROM ${glob} WHERE date = DATE '${d30}' GROUP BY ALL ORDER BY injected NULLS FIRST`,
      )
    ).getRowObjectsJson();
    const truth = new Map<string | null, number>();
    for (const r of jsonl) {
      const key = (r.injected_anomaly as string | null) ?? null;
      truth.set(key, (truth.get(key) ?? 0) + 1);
    }
    expect(truth.size).toBeGreaterThan(1);
    expect(injected).toEqual(
      [...truth]
        .sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : a < b ? -1 : 1))
        .map(([key, rides]) => ({ type: 'OBJECT', injected: key, rides: String(rides) })),
    );
    const anomalies = (
      await duck.runAndReadAll(
        `SELECT ride_id, anomaly_reasons, summary FROM ${glob} WHERE date = DATE '${d30}' AND anomaly`,
      )
    ).getRowObjectsJson();
    expect(anomalies).toEqual(
      jsonl
        .filter(r => r.anomaly)
        .map(r => ({
          ride_id: String(r.ride_id),
          anomaly_reasons: r.anomaly_reasons,
          summary: r.summary,
        })),
    );

    // The manifest names every output with its size and sha256, as S3 holds them.
    const manifest = manifests[d30] as DayManifest;
    expect(Object.keys(manifest.files).sort()).toEqual([
      'report.html',
      'rides.jsonl',
      'rides.parquet',
    ]);
    for (const [file, entry] of Object.entries(manifest.files)) {
      const bytes = await store.getBytes(keys.output(d30, file as 'rides.jsonl'));
      expect(entry).toEqual({
        key: store.uri(keys.output(d30, file as 'rides.jsonl')),
        bytes: bytes.byteLength,
        sha256: sha256(bytes),
      });
    }

    const latest = await store.getJson<LatestPointer>(keys.latest);
    expect(latest).toMatchObject({
      date: d30,
      completed_at: manifest.created_at,
      manifest: store.uri(keys.manifest(d30)),
      files: { 'rides.parquet': store.uri(keys.output(d30, 'rides.parquet')) },
    });

    // The report's trend reads the earlier days' manifests: 07-29 was complete before 07-30 ran.
    const report = (await store.getBytes(keys.output(d30, 'report.html'))).toString();
    const c29 = manifests[d29]?.counts;
    expect(report).toContain(
      `<td>${d29}</td><td class="n">${c29?.valid.toLocaleString('en-US')}</td><td class="n">${c29?.anomalies}</td>`,
    );

    // `etml query`: SQL over the complete days, with the DuckDB the project installs.
    const perDayCli = await runEtml(
      ['query', '--from', d28, '--to', '2025-07-31', '--format', 'jsonl'],
      env,
    );
    expect(perDayCli.code).toBe(0);
    expect(perDayCli.stderr).toBe(
      'query: left out 1 day(s) without a complete manifest: 2025-07-31\n',
    );
    expect(
      perDayCli.stdout
        .trimEnd()
        .split('\n')
        .map(line => JSON.parse(line)),
    ).toEqual(
      [d28, d29, d30].map(date => ({
        date,
        rides: manifests[date]?.counts.valid,
        anomalies: manifests[date]?.counts.anomalies,
      })),
    );
    const extraCli = await runEtml(
      [
        'query',
        '--date',
        d30,
        '--format',
        'csv',
        '--sql',
        "SELECT ride_id, extra->>'injected_anomaly' AS injected, summary FROM rides WHERE anomaly ORDER BY ride_id",
      ],
      env,
    );
    expect(extraCli.code).toBe(0);
    const csvCell = (text: string | null) =>
      text === null ? '' : /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    expect(extraCli.stdout).toBe(
      [
        'ride_id,injected,summary',
        ...jsonl
          .filter(r => r.anomaly)
          .sort((a, b) => (String(a.ride_id) < String(b.ride_id) ? -1 : 1))
          .map(r =>
            [
              String(r.ride_id),
              csvCell((r.injected_anomaly as string | null) ?? null),
              csvCell(r.summary),
            ].join(','),
          ),
        '',
      ].join('\n'),
    );
    const table = await runEtml(['query', '--date', d30], env);
    expect(table.stdout.split('\n').slice(0, 3)).toEqual([
      'date        rides  anomalies',
      '----------  -----  ---------',
      `${d30}  ${String(manifests[d30]?.counts.valid).padEnd(5)}  ${manifests[d30]?.counts.anomalies}`,
    ]);
    expect(table.stderr).toBe('1 row\n');
    for (const [args, message] of [
      [['query', '--date', d30, '--sql', 'SELEC 1'], 'query: --sql failed: '],
      [['query', '--date', '2025-07-31'], 'no complete output for 2025-07-31'],
      [['query', '--date', d30, '--format', 'xml'], '--format must be one of table, csv, jsonl'],
      [['query', '--date', d30, '--from', d28, '--to', d30], 'not both'],
    ] as const) {
      const result = await runEtml([...args], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    // A Parquet that is not the one its manifest lists (a rerun under way) is refused.
    await store.putBytes(
      keys.output(d29, 'rides.parquet'),
      Buffer.from('not the manifest file'),
      'application/octet-stream',
    );
    const changed = await runEtml(['query', '--date', d29], env);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("does not match its manifest's sha256");
  });
});
