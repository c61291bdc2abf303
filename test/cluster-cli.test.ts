import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packt } from '@etml/fixtures';
import { describe, expect, it } from 'vitest';
import { runEtml, tempDir } from './helpers.ts';

function expectUsageError(result: { code: number | null; stderr: string }, fragment: string) {
  expect(result.code).toBe(2);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).toContain(fragment);
}

const readNdjson = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map(line => JSON.parse(line));

describe('etml cluster (local: no Redis, no S3)', () => {
  it("reproduces the book's scikit-learn labels from its CSV, in input order", async () => {
    const output = join(tempDir(), 'labels.jsonl');
    const input = packt.ridesCh01Csv;
    const result = await runEtml([
      'cluster',
      '--input',
      input,
      '--output',
      output,
      '--eps',
      '0.3',
      '--min-samples',
      '10',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('clustered 400 rides');
    expect(result.stderr).toContain('min_samples 10 (explicit)');
    const book: { ride_id: number; label: number }[] = JSON.parse(
      readFileSync(packt.labelsCh01Json, 'utf8'),
    );
    const records = readNdjson(output);
    expect(records.map(r => r.label)).toEqual(book.map(r => r.label));
    expect(records.map(r => Number(r.ride_id))).toEqual(book.map(r => r.ride_id));
    expect(records[0]).toMatchObject({ anomaly: false, anomaly_reasons: [] });
    expect(readFileSync(`${output}.rejected.jsonl`, 'utf8')).toBe('');
  });

  it('--max-share keeps the most severe anomalies and says how many it left out', async () => {
    const dir = tempDir();
    const input = packt.rides20230524Json;
    const free = await runEtml(['cluster', '--input', input, '--output', join(dir, 'a.jsonl')]);
    const capped = await runEtml([
      'cluster',
      '--input',
      input,
      '--output',
      join(dir, 'b.jsonl'),
      '--max-share',
      '0.01',
    ]);
    expect(capped.code, capped.stderr).toBe(0);
    const all = readNdjson(join(dir, 'a.jsonl'));
    const kept = readNdjson(join(dir, 'b.jsonl'));
    const before = all.filter(r => r.anomaly).length;
    expect(before).toBeGreaterThan(4);
    expect(kept.filter(r => r.anomaly)).toHaveLength(4);
    expect(capped.stderr).toContain(
      `4 anomalies (${before - 4} less severe ones left out by --max-share)`,
    );
    expect(kept.map(r => [r.label, r.anomaly_score])).toEqual(
      all.map(r => [r.label, r.anomaly_score]),
    );
    expect(free.code).toBe(0);
  });

  it('reads the seed JSON array, and the reference engine agrees with the fast one', async () => {
    const dir = tempDir();
    const input = packt.rides20230524Json;
    const fast = await runEtml(['cluster', '--input', input, '--output', join(dir, 'fast.jsonl')]);
    const reference = await runEtml([
      'cluster',
      '--input',
      input,
      '--output',
      join(dir, 'ref.jsonl'),
      '--engine',
      'density-clustering',
    ]);
    expect(fast.code).toBe(0);
    expect(reference.code).toBe(0);
    expect(readFileSync(join(dir, 'ref.jsonl'), 'utf8')).toBe(
      readFileSync(join(dir, 'fast.jsonl'), 'utf8'),
    );
    const records = readNdjson(join(dir, 'fast.jsonl'));
    const seed = JSON.parse(readFileSync(input, 'utf8'));
    expect(records).toHaveLength(400);
    expect(records.map(r => r.news)).toEqual(seed.map((r: { news: string }) => r.news));
    expect(records.filter(r => r.anomaly).length).toBeGreaterThan(5);
  });

  it('quarantines bad rows with row numbers and reasons, and says how many', async () => {
    const dir = tempDir();
    const input = join(dir, 'mixed.jsonl');
    writeFileSync(
      input,
      [
        '{"ride_id":1,"ride_dist":1,"ride_time":0.1}',
        '{"ride_id":2,"ride_dist":"far","ride_time":0.1}',
        '{"ride_id":3,"ride_dist":2,"ride_time":0.05}',
      ].join('\n'),
    );
    const result = await runEtml(['cluster', '--input', input, '--output', join(dir, 'out.jsonl')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('1 of 3 rows rejected');
    expect(result.stderr).toContain('row 2: ride_dist must be a finite number ≥ 0 (km), got "far"');
    expect(readNdjson(join(dir, 'out.jsonl')).map(r => r.ride_id)).toEqual([1, 3]);
    expect(readNdjson(join(dir, 'out.jsonl.rejected.jsonl'))).toEqual([
      {
        row: 2,
        reasons: ['ride_dist must be a finite number ≥ 0 (km), got "far"'],
        value: { ride_id: 2, ride_dist: 'far', ride_time: 0.1 },
      },
    ]);
  });

  it.each([
    [['--eps', '0'], '--eps must be a number > 0, got "0"'],
    [['--eps=-1'], '--eps must be a number > 0, got "-1"'],
    [['--eps', 'abc'], '--eps must be a number > 0, got "abc"'],
    [['--min-samples', '0'], '--min-samples must be a whole number from 1'],
    [['--min-samples', '2.5'], '--min-samples must be a whole number from 1'],
    [['--engine', 'sklearn'], '--engine must be one of fast, density-clustering, got "sklearn"'],
    [['--max-share', '0'], '--max-share must be a number in (0, 1], got "0"'],
    [['--max-share', '2'], '--max-share must be a number in (0, 1], got "2"'],
  ])('refuses %j with one line and exit 2', async (flags, message) => {
    const dir = tempDir();
    const result = await runEtml([
      'cluster',
      '--input',
      packt.ridesCh01Csv,
      '--output',
      join(dir, 'o.jsonl'),
      ...flags,
    ]);
    expectUsageError(result, message);
  });

  it('writes through a symlink and into a FIFO without replacing them', async () => {
    const dir = tempDir();
    const input = packt.ridesCh01Csv;
    const target = join(dir, 'real.jsonl');
    writeFileSync(target, '');
    symlinkSync(target, join(dir, 'link.jsonl'));
    expect(
      (await runEtml(['cluster', '--input', input, '--output', join(dir, 'link.jsonl')])).code,
    ).toBe(0);
    expect(lstatSync(join(dir, 'link.jsonl')).isSymbolicLink()).toBe(true);
    expect(readNdjson(target)).toHaveLength(400);

    const fifo = join(dir, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('sh', ['-c', `cat ${fifo} > ${join(dir, 'from-pipe.jsonl')}`]);
    const done = new Promise(resolve => reader.on('exit', resolve));
    expect(
      (
        await runEtml([
          'cluster',
          '--input',
          input,
          '--output',
          fifo,
          '--rejected',
          join(dir, 'r.jsonl'),
        ])
      ).code,
    ).toBe(0);
    await done;
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readNdjson(join(dir, 'from-pipe.jsonl'))).toHaveLength(400);
  });

  it('refuses to write over its own input, and keeps rejected rows when writing to standard output', async () => {
    const dir = tempDir();
    const input = join(dir, 'day.jsonl');
    const text =
      '{"ride_id":1,"ride_dist":1,"ride_time":0.1}\n{"ride_id":2,"ride_dist":-1,"ride_time":0.1}\n';
    writeFileSync(input, text);
    expectUsageError(
      await runEtml([
        'cluster',
        '--input',
        input,
        '--output',
        join(dir, 'o.jsonl'),
        '--rejected',
        input,
      ]),
      '--rejected and --input name the same file',
    );
    expect(readFileSync(input, 'utf8')).toBe(text);
    const toStdout = await runEtml([
      'cluster',
      '--input',
      input,
      '--output',
      '-',
      '--rejected',
      join(dir, 'bad.jsonl'),
    ]);
    expect(toStdout.code).toBe(0);
    expect(readNdjson(join(dir, 'bad.jsonl')).map(r => r.row)).toEqual([2]);
  });

  it('refuses a missing file, an unknown format and a file with no valid rows', async () => {
    const dir = tempDir();
    const out = join(dir, 'o.jsonl');
    expectUsageError(
      await runEtml(['cluster', '--input', join(dir, 'nope.csv'), '--output', out]),
      'does not exist',
    );
    // Parquet is read now (TLC trip records); a cut-off one is named as such.
    writeFileSync(join(dir, 'rides.parquet'), Buffer.from('PAR1\u0000\u0015\u0004binary'));
    expectUsageError(
      await runEtml(['cluster', '--input', join(dir, 'rides.parquet'), '--output', out]),
      'is a truncated Parquet file',
    );
    writeFileSync(join(dir, 'rides.bin'), Buffer.from('\u0000\u0015\u0004binary,\u0000'));
    expectUsageError(
      await runEtml(['cluster', '--input', join(dir, 'rides.bin'), '--output', out]),
      'unknown format',
    );
    writeFileSync(join(dir, 'bad.csv'), 'ride_id,ride_dist,ride_time\n1,-1,0.1\n');
    expectUsageError(
      await runEtml(['cluster', '--input', join(dir, 'bad.csv'), '--output', out]),
      'has no valid rows',
    );
  });
});
