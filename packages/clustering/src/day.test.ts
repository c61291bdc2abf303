import { readFileSync } from 'node:fs';
import { InputError, parseRideDate, type RawFormat } from '@etml/domain';
import { packt } from '@etml/fixtures';
import { simulateRides } from '@etml/simulate';
import { describe, expect, it } from 'vitest';
import { clusterRides } from './cluster.ts';
import { clusterDay, type RejectedRow } from './day.ts';

async function run(text: string, format: RawFormat, options = {}) {
  const rejected: RejectedRow[] = [];
  let output = '';
  let opened = 0;
  const summary = await clusterDay(
    {
      format,
      name: 'day.input',
      open: async () => {
        opened += 1;
        return [text];
      },
    },
    {
      rejected: async rows => {
        for await (const row of rows) rejected.push(row);
      },
      output: async chunks => {
        for await (const chunk of chunks) output += chunk;
      },
    },
    options,
  );
  const lines = output.trimEnd().split('\n');
  return { summary, rejected, lines, records: lines.map(l => JSON.parse(l)), opened };
}

describe('clusterDay', () => {
  it('labels the book CSV exactly as scikit-learn did, in input order, with every input field', async () => {
    const csv = readFileSync(packt.ridesCh01Csv, 'utf8');
    const book: { ride_id: number; label: number }[] = JSON.parse(
      readFileSync(packt.labelsCh01Json, 'utf8'),
    );
    const { records, summary, opened } = await run(csv, 'csv', { eps: 0.3, minSamples: 10 });
    expect(opened).toBe(2);
    expect(summary).toMatchObject({ rows: 400, valid: 400, rejected: 0 });
    expect(records.map(r => Number(r.ride_id))).toEqual(book.map(r => r.ride_id));
    expect(records.map(r => r.label)).toEqual(book.map(r => r.label));
    expect(Object.keys(records[0])).toEqual([
      'ride_dist',
      'ride_time',
      'ride_speed',
      'ride_id',
      'label',
      'anomaly',
      'anomaly_reasons',
      'anomaly_score',
    ]);
    for (const r of records) expect(r.anomaly_reasons.length > 0).toBe(r.anomaly);
  });

  it('passes NDJSON lines on byte for byte, with the new fields added at the end', async () => {
    const lines = [
      '{"ride_id":"a","ride_dist":1.50,"ride_time":0.05,"note":"ü ✓ \\"q\\""}',
      '{"ride_id":"b", "ride_dist":2, "ride_time":0.07}',
    ];
    const { lines: out } = await run(lines.join('\n'), 'jsonl');
    expect(out[0]?.startsWith(`${lines[0]?.slice(0, -1)},"label":`)).toBe(true);
    expect(out[1]?.startsWith(`${lines[1]?.slice(0, -1)},"label":`)).toBe(true);
  });

  it('replaces label, anomaly, anomaly_reasons and anomaly_score already in the input', async () => {
    const { records } = await run(
      '{"ride_id":1,"ride_dist":1,"ride_time":0.1,"label":99,"anomaly":"x","anomaly_score":"9"}',
      'jsonl',
    );
    expect(records[0]).toEqual({
      ride_id: 1,
      ride_dist: 1,
      ride_time: 0.1,
      label: -1,
      anomaly: false,
      anomaly_reasons: [],
      anomaly_score: 0,
    });
  });

  it('quarantines bad rows with their row number and reasons and keeps going', async () => {
    const text = [
      '{"ride_id":1,"ride_dist":1,"ride_time":0.1}',
      '{"ride_id":2,"ride_dist":-1,"ride_time":0.1}',
      'not json',
      '{"ride_id":1,"ride_dist":2,"ride_time":0.2}',
      '{"ride_id":4,"ride_dist":3,"ride_time":0.1}',
    ].join('\n');
    const { summary, rejected, records } = await run(text, 'jsonl');
    expect(summary).toMatchObject({ rows: 5, valid: 2, rejected: 3 });
    expect(rejected.map(r => r.row)).toEqual([2, 3, 4]);
    expect(rejected[0]?.reasons).toEqual(['ride_dist must be a finite number ≥ 0 (km), got -1']);
    expect(rejected[0]?.value).toEqual({ ride_id: 2, ride_dist: -1, ride_time: 0.1 });
    expect(rejected[2]?.reasons[0]).toContain('repeats row 1');
    expect(records.map(r => r.ride_id)).toEqual([1, 4]);
  });

  it('fails with an InputError naming the input when no row is valid', async () => {
    const failing = run('{"ride_id":1}\n', 'jsonl');
    await expect(failing).rejects.toThrow(InputError);
    await expect(run('{"ride_id":1}\n', 'jsonl')).rejects.toThrow(
      'day.input has no valid rows (1 rows, all rejected; row 1: ride_dist is missing; ride_time is missing)',
    );
  });

  it('gives the same labels as clusterRides on the columns, for a pretty-printed JSON array', async () => {
    const rides = [...simulateRides({ date: parseRideDate('2025-07-30'), rides: 3_000, seed: 9 })];
    const { records, summary } = await run(JSON.stringify(rides, null, 2), 'json');
    const direct = clusterRides(
      Float64Array.from(rides, r => r.ride_dist),
      Float64Array.from(rides, r => r.ride_time),
    );
    expect(records.map(r => r.label)).toEqual(Array.from(direct.labels));
    expect(records.map(r => r.anomaly)).toEqual(Array.from(direct.anomaly, a => a === 1));
    expect(summary.params).toEqual(direct.params);
    expect(records[0]).toMatchObject(rides[0] as object);
  });

  it('notices an input that changed between the two passes', async () => {
    let pass = 0;
    const texts = [
      '{"ride_id":1,"ride_dist":1,"ride_time":0.1}\n{"ride_id":2,"ride_dist":1,"ride_time":0.1}',
      '{"ride_id":1,"ride_dist":1,"ride_time":0.1}',
    ];
    const result = clusterDay(
      { format: 'jsonl', name: 'moving', open: async () => [texts[pass++] as string] },
      {
        rejected: async rows => {
          for await (const _ of rows);
        },
        output: async chunks => {
          for await (const _ of chunks);
        },
      },
    );
    await expect(result).rejects.toThrow('moving changed while it was being read');
  });
});

describe('clusterDay output is always valid NDJSON', () => {
  it('writes NaN and Infinity in extra fields as strings, never as bare tokens', async () => {
    const text =
      '{"ride_id":1,"ride_dist":1,"ride_time":0.1,"tip":NaN}\n{"ride_id":2,"ride_dist":2,"ride_time":0.1,"tip":-Infinity,"label":5}';
    const { lines } = await run(text, 'jsonl');
    const records = lines.map(l => JSON.parse(l));
    expect(records.map(r => r.tip)).toEqual(['NaN', '-Infinity']);
    expect(records[1].label).toBe(-1);
  });

  it('replaces an added field even when its key is written with escapes', async () => {
    const { lines } = await run(
      '{"ride_id":1,"ride_dist":1,"ride_time":0.1,"lab\\u0065l":7}',
      'jsonl',
    );
    expect(lines[0]?.match(/label/g)).toHaveLength(1);
    expect(JSON.parse(lines[0] as string).label).toBe(-1);
  });
});
