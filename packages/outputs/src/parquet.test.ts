import type { OutputRecord } from '@etml/domain';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, test } from 'vitest';
import { PARQUET_COLUMNS, parquetRow, parquetStream } from './parquet.ts';

function record(i: number, overrides: Partial<OutputRecord> = {}): OutputRecord {
  const anomaly = i % 7 === 3;
  return {
    ride_id: i % 2 === 0 ? 202507300 + i : `r-${i}`,
    ride_dist: 1.5 + i / 10,
    ride_time: 0.05 + i / 1000,
    ride_speed: i % 5 === 0 ? null : 30 + i / 3,
    selection_idx: i % 3,
    news: i % 4 === 0 ? null : `news ${i % 3}`,
    weather: 'cold',
    traffic: 'jam on the M8',
    label: anomaly ? -1 : i % 2,
    anomaly,
    anomaly_reasons: anomaly ? ['long_distance', 'low_speed'] : [],
    anomaly_score: anomaly ? 1 + i / 100 : i / 2_000,
    summary: anomaly ? `summary ${i} — naïve café ✓` : null,
    summary_source: anomaly ? 'llm' : null,
    likely_cause: anomaly ? 'traffic_incident' : null,
    summary_error: null,
    ...overrides,
  };
}

async function parquetBytes(rows: OutputRecord[], rowGroupRows?: number): Promise<ArrayBuffer> {
  async function* source() {
    for (const row of rows) yield parquetRow(row);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of parquetStream(source(), { rowGroupRows })) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

describe('rides.parquet', () => {
  test('reads back, through hyparquet, with the types and values of the records, in order, across row groups', async () => {
    const rows = Array.from({ length: 1_003 }, (_, i) =>
      i === 10 ? record(i, { fare: 12.5, driver: { id: 'd1' } }) : record(i),
    );
    const file = await parquetBytes(rows, 100);
    const metadata = parquetMetadata(file);
    expect(metadata.num_rows).toBe(1_003n);
    expect(metadata.row_groups).toHaveLength(11);
    expect(metadata.row_groups[0]?.columns[0]?.meta_data?.codec).toBe('SNAPPY');
    const read = await parquetReadObjects({ file });
    expect(Object.keys(read[0] ?? {})).toEqual([...PARQUET_COLUMNS]);
    read.forEach((row, i) => {
      const source = rows[i] as OutputRecord;
      expect(row).toEqual({
        ride_id: String(source.ride_id),
        ride_dist: source.ride_dist,
        ride_time: source.ride_time,
        ride_speed: source.ride_speed,
        selection_idx: BigInt(source.selection_idx as number),
        news: source.news,
        weather: source.weather,
        traffic: source.traffic,
        label: source.label,
        anomaly: source.anomaly,
        anomaly_reasons: source.anomaly_reasons,
        anomaly_score: source.anomaly_score,
        summary: source.summary,
        summary_source: source.summary_source,
        likely_cause: source.likely_cause,
        summary_error: source.summary_error,
        extra: i === 10 ? { fare: 12.5, driver: { id: 'd1' } } : null,
      });
    });
  });

  test('a day without rides is still a valid, empty file', async () => {
    const file = await parquetBytes([]);
    expect(parquetMetadata(file).num_rows).toBe(0n);
    expect(await parquetReadObjects({ file })).toEqual([]);
  });

  test('a failing source fails the stream, naming the cause', async () => {
    async function* broken() {
      yield parquetRow(record(1));
      throw new Error('S3 read reset');
    }
    const consume = async () => {
      for await (const _ of parquetStream(broken())) {
        // drained
      }
    };
    await expect(consume()).rejects.toThrow('S3 read reset');
  });

  test('a reader that goes away (a failed upload) ends the writing and the rows it pulls', async () => {
    let pulled = 0;
    let closed = false;
    async function* rows() {
      try {
        for (let i = 0; i < 1_000_000; i += 1) {
          pulled += 1;
          yield parquetRow(record(i));
        }
      } finally {
        closed = true;
      }
    }
    const stream = parquetStream(rows(), { rowGroupRows: 500 });
    stream.on('error', () => {});
    stream.once('data', () => stream.destroy(new Error('upload failed')));
    await new Promise(resolve => stream.once('close', resolve));
    for (let i = 0; i < 100 && !closed; i += 1) await new Promise(r => setTimeout(r, 20));
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(5_000);
  });

  test('the same rows give the same bytes', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => record(i));
    expect(Buffer.from(await parquetBytes(rows))).toEqual(Buffer.from(await parquetBytes(rows)));
  });
});
