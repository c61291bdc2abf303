import { readFileSync } from 'node:fs';
import { packt } from '@etml/fixtures';
import { describe, expect, it } from 'vitest';
import { type ParsedRow, parseRows } from './parse.ts';
import { type CheckedRow, checkRows, describeRejection, summarizeRows } from './validate.ts';

async function* feed<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

const ride = (ride_id: string | number, extra: Record<string, unknown> = {}) => ({
  ride_id,
  ride_dist: 2,
  ride_time: 0.1,
  ...extra,
});

const parsed = (...values: unknown[]): ParsedRow[] =>
  values.map((value, i) => ({ row: i + 1, value }));

const check = (rows: ParsedRow[]) => collect(checkRows(feed(rows)));

function rejection(row: CheckedRow | undefined): {
  row: number;
  reasons: string[];
  value?: unknown;
} {
  if (!row || row.ok) throw new Error(`expected a rejection, got ${JSON.stringify(row)}`);
  return row;
}

describe('checkRows', () => {
  it('passes valid rides through in order, keeping their row numbers', async () => {
    const rows: ParsedRow[] = [
      { row: 3, value: ride('a') },
      { row: 7, value: ride(2, { note: 'kept' }) },
    ];
    expect(await check(rows)).toEqual([
      { row: 3, ok: true, ride: ride('a') },
      { row: 7, ok: true, ride: ride(2, { note: 'kept' }) },
    ]);
  });

  it('turns a parse error into a rejection with that error as its reason', async () => {
    const checked = await check([{ row: 4, error: 'not valid JSON (boom)' }]);
    expect(checked).toEqual([{ row: 4, ok: false, reasons: ['not valid JSON (boom)'] }]);
  });

  it('rejects an invalid ride with reasons naming the field and value, and keeps the value', async () => {
    const bad = ride('b', { ride_dist: -1 });
    const [, second] = await check(parsed(ride('a'), bad));
    const rejected = rejection(second);
    expect(rejected.row).toBe(2);
    expect(rejected.value).toEqual(bad);
    expect(rejected.reasons).toHaveLength(1);
    expect(rejected.reasons[0]).toContain('ride_dist');
    expect(rejected.reasons[0]).toContain('-1');
  });

  it('rejects a repeated ride_id, naming the row that had it first', async () => {
    const checked = await check(parsed(ride('x'), ride('y'), ride('x', { ride_dist: 9 })));
    expect(checked.map(r => r.ok)).toEqual([true, true, false]);
    const repeat = rejection(checked[2]);
    expect(repeat.row).toBe(3);
    expect(repeat.reasons).toEqual(['ride_id "x" repeats row 1']);
    expect(repeat.value).toEqual(ride('x', { ride_dist: 9 }));
  });

  it('counts 1 and "1" as the same ride_id', async () => {
    const checked = await check(parsed(ride(1), ride(2), ride('1'), ride('2'), ride(1)));
    expect(checked.map(r => r.ok)).toEqual([true, true, false, false, false]);
    expect(rejection(checked[2]).reasons[0]).toMatch(/^ride_id "1" repeats row 1$/);
    expect(rejection(checked[3]).reasons[0]).toMatch(/repeats row 2$/);
    expect(rejection(checked[4]).reasons[0]).toMatch(/^ride_id 1 repeats row 1$/);
  });

  it('names the first row with an id, not the latest repeat', async () => {
    const checked = await check(parsed(ride('z'), ride('z'), ride('z')));
    expect(rejection(checked[1]).reasons[0]).toContain('row 1');
    expect(rejection(checked[2]).reasons[0]).toContain('row 1');
  });

  it('lets a rejected row not claim its ride_id', async () => {
    const checked = await check(parsed(ride('a', { ride_time: 'soon' }), ride('a')));
    expect(checked.map(r => r.ok)).toEqual([false, true]);
  });

  it('passes all 400 rides of the seed file', async () => {
    const text = readFileSync(packt.rides20230524Json, 'utf8');
    const checked = await collect(checkRows(parseRows(feed([text]), 'json')));
    expect(checked).toHaveLength(400);
    expect(checked.filter(r => !r.ok)).toEqual([]);
    expect(checked.map(r => r.row)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  });
});

describe('summarizeRows', () => {
  const rows: CheckedRow[] = [
    { row: 1, ok: true, ride: ride('a') },
    { row: 2, ok: false, reasons: ['r2'] },
    { row: 3, ok: true, ride: ride('b') },
    ...[4, 5, 6, 7, 8, 9, 10].map(row => ({
      row,
      ok: false as const,
      reasons: [`r${row}`, 'more'],
    })),
    { row: 11, ok: true, ride: ride('c') },
  ];

  it('counts rows and keeps the first five rejections by default', async () => {
    const summary = await summarizeRows(feed(rows));
    expect(summary).toEqual({
      total: 11,
      valid: 3,
      rejected: 8,
      examples: [
        { row: 2, reasons: ['r2'] },
        { row: 4, reasons: ['r4', 'more'] },
        { row: 5, reasons: ['r5', 'more'] },
        { row: 6, reasons: ['r6', 'more'] },
        { row: 7, reasons: ['r7', 'more'] },
      ],
    });
  });

  it('keeps as many examples as asked', async () => {
    expect((await summarizeRows(feed(rows), 2)).examples.map(e => e.row)).toEqual([2, 4]);
    expect((await summarizeRows(feed(rows), 0)).examples).toEqual([]);
    expect((await summarizeRows(feed(rows), 100)).examples).toHaveLength(8);
  });

  it('summarizes nothing as zeros', async () => {
    expect(await summarizeRows(feed([]))).toEqual({
      total: 0,
      valid: 0,
      rejected: 0,
      examples: [],
    });
  });

  it('summarizes a parsed file end to end', async () => {
    const text = [
      '{"ride_id": "a", "ride_dist": 1, "ride_time": 0.1}',
      '{"ride_id": "b", "ride_dist": NaN, "ride_time": 0.1}',
      '',
      '{"ride_id": "a", "ride_dist": 2, "ride_time": 0.2}',
      '{broken',
      '{"ride_id": "c", "ride_dist": 3, "ride_time": 0.3}',
    ].join('\n');
    const summary = await summarizeRows(checkRows(parseRows(feed([text]), 'jsonl')));
    expect(summary.total).toBe(5);
    expect(summary.valid).toBe(2);
    expect(summary.rejected).toBe(3);
    expect(summary.examples.map(e => e.row)).toEqual([2, 3, 4]);
    expect(summary.examples[0]?.reasons[0]).toContain('ride_dist');
    expect(summary.examples[0]?.reasons[0]).toContain('"NaN"');
    expect(summary.examples[1]?.reasons).toEqual(['ride_id "a" repeats row 1']);
    expect(summary.examples[2]?.reasons[0]).toMatch(/^not valid JSON/);
  });
});

describe('describeRejection', () => {
  it('puts the row number before its reasons', () => {
    expect(
      describeRejection({ row: 12, reasons: ['ride_dist is missing', 'ride_time is missing'] }),
    ).toBe('row 12: ride_dist is missing; ride_time is missing');
  });
});
