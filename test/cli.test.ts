import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packt } from '@etml/fixtures';
import { type S3Target, test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, storeOf, tempDir } from './helpers.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function rawKeys(s3: S3Target, date: string): Promise<string[]> {
  const found: string[] = [];
  for await (const item of storeOf(s3).list(`raw/date=${date}/`)) found.push(item.key);
  return found;
}

function tempFile(name: string, content: string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, content);
  return file;
}

/** A CLI failure as the issue defines it: exit 2, one line on stderr, no stack trace. */
function expectOneLineError(
  result: { code: number | null; stderr: string },
  ...fragments: string[]
) {
  expect(result.code).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^etml: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

describe('etml upload', () => {
  test('accepts a JSON array, CSV and NDJSON, storing each as the one raw input of its date', async ({
    s3,
  }) => {
    const env = s3Env(s3);
    const store = storeOf(s3);
    const date = '2023-05-24';

    const json = packt.rides20230524Json;
    const asJson = await runEtml(['upload', '--date', date, '--file', json], env);
    expect(asJson.stderr).toContain('400 valid rows');
    expect(asJson.code).toBe(0);
    expect(sha256(await store.getBytes(`raw/date=${date}/rides.json`))).toBe(
      sha256(readFileSync(json)),
    );
    expect(await rawKeys(s3, date)).toEqual([`raw/date=${date}/rides.json`]);

    const csv = packt.ridesCh01Csv;
    const asCsv = await runEtml(['upload', '--date', date, '--file', csv], env);
    expect(asCsv.code).toBe(0);
    expect(asCsv.stderr).toContain('as csv: 400 valid rows');
    expect(await rawKeys(s3, date)).toEqual([`raw/date=${date}/rides.csv`]);
    expect(sha256(await store.getBytes(`raw/date=${date}/rides.csv`))).toBe(
      sha256(readFileSync(csv)),
    );

    const ndjson = join(tempDir(), 'day.jsonl');
    const simulated = await runEtml(
      ['simulate', '--date', date, '--rides', '250', '--output', ndjson],
      env,
    );
    expect(simulated.code).toBe(0);
    const asNdjson = await runEtml(['upload', '--date', date, '--file', ndjson], env);
    expect(asNdjson.code).toBe(0);
    expect(asNdjson.stderr).toContain('as jsonl: 250 valid rows');
    expect(await rawKeys(s3, date)).toEqual([`raw/date=${date}/rides.jsonl`]);
  });

  test('uploads a file with some bad rows and names each bad row', async ({ s3 }) => {
    const file = tempFile(
      'mixed.csv',
      'ride_id,ride_dist,ride_time\na,1.5,0.05\nb,-2,0.1\nc,abc,0.1\nd,2,\ne,3,0.2\n',
    );
    const result = await runEtml(['upload', '--date', '2025-07-30', '--file', file], s3Env(s3));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('2 valid rows');
    expect(result.stderr).toContain('3 of 5 rows are invalid');
    expect(result.stderr).toContain('row 2: ride_dist must be a finite number ≥ 0 (km), got -2');
    expect(result.stderr).toContain('row 3: ride_dist must be a finite number ≥ 0 (km), got "abc"');
    expect(result.stderr).toContain('row 4: ride_time is missing');
    expect(await rawKeys(s3, '2025-07-30')).toEqual(['raw/date=2025-07-30/rides.csv']);
  });

  test.for(['2025-02-30', '2025-7-3', '../x'])(
    'rejects the date %s with one line and exit 2',
    async (date, { s3 }) => {
      const file = packt.ridesCh01Csv;
      const result = await runEtml(['upload', '--date', date, '--file', file], s3Env(s3));
      expectOneLineError(result, '--date', JSON.stringify(date));
      expect(await rawKeys(s3, '')).toEqual([]);
    },
  );

  test('rejects a missing file, naming it', async ({ s3 }) => {
    const result = await runEtml(
      ['upload', '--date', '2025-07-30', '--file', '/nope/rides.csv'],
      s3Env(s3),
    );
    expectOneLineError(result, '"/nope/rides.csv" does not exist');
  });

  test('rejects a file with no valid rows, naming the first problem and its row', async ({
    s3,
  }) => {
    const file = tempFile(
      'bad.jsonl',
      '{"ride_id":1,"ride_dist":-1,"ride_time":0.1}\n{"ride_id":2}\n',
    );
    const result = await runEtml(['upload', '--date', '2025-07-30', '--file', file], s3Env(s3));
    expectOneLineError(
      result,
      'has no valid rows',
      '2 rows',
      'row 1: ride_dist must be a finite number ≥ 0 (km), got -1',
    );
    expect(await rawKeys(s3, '2025-07-30')).toEqual([]);
  });

  test('rejects an empty file', async ({ s3 }) => {
    const result = await runEtml(
      ['upload', '--date', '2025-07-30', '--file', tempFile('empty.csv', '\n')],
      s3Env(s3),
    );
    expectOneLineError(result, 'empty');
  });
});

describe('etml simulate', () => {
  test('uploads raw/date=D/rides.jsonl, and the same flags give the same bytes', async ({ s3 }) => {
    const env = s3Env(s3);
    const store = storeOf(s3);
    const args = ['simulate', '--date', '2025-07-30', '--rides', '2000', '--seed', '7'];
    const first = await runEtml(args, env);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(
      'simulated 2000 rides for 2025-07-30 (seed 7: 1850 normal, 50 long_distance',
    );
    const bytes = await store.getBytes('raw/date=2025-07-30/rides.jsonl');
    expect(bytes.toString('utf8').trimEnd().split('\n')).toHaveLength(2000);
    expect((await runEtml(args, env)).code).toBe(0);
    expect(sha256(await store.getBytes('raw/date=2025-07-30/rides.jsonl'))).toBe(sha256(bytes));
  });
});

describe('etml simulate --output', () => {
  test('writes NDJSON to a file, or to standard output with -', async () => {
    const file = join(tempDir(), 'day.jsonl');
    const toFile = await runEtml([
      'simulate',
      '--date',
      '2025-07-30',
      '--rides',
      '30',
      '--output',
      file,
    ]);
    expect(toFile.code).toBe(0);
    const toStdout = await runEtml([
      'simulate',
      '--date',
      '2025-07-30',
      '--rides',
      '30',
      '--output',
      '-',
    ]);
    expect(toStdout.stdout).toBe(readFileSync(file, 'utf8'));
    expect(readdirSync(join(file, '..'))).toEqual(['day.jsonl']);
  });

  test.for([
    ['/nonexistent/day.jsonl', 'folder "/nonexistent" does not exist'],
    ['', '--output must be a file path or -, got ""'],
  ])('refuses --output %j before doing any work', async ([output, message]) => {
    expectOneLineError(
      await runEtml(['simulate', '--date', '2025-07-30', '--output', output as string]),
      message as string,
    );
  });

  test('refuses a folder as --output', async () => {
    const dir = tempDir();
    expectOneLineError(
      await runEtml(['simulate', '--date', '2025-07-30', '--output', dir]),
      'is a folder, not a file',
    );
    expect(existsSync(join(dir, 'day.jsonl'))).toBe(false);
  });
});

describe('etml demo', () => {
  test('simulates a day and runs it through the queues to output/ and its manifest', async ({
    redis,
    s3,
  }) => {
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const result = await runEtml(['demo', '--date', '2025-07-30', '--rides', '2000'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /2025-07-30: 2000 rides, .* anomalies; summaries from the offline/,
    );
    expect(result.stdout).toContain(`s3://${s3.bucket}/output/date=2025-07-30/rides.jsonl`);
    expect(result.stdout).toContain(`s3://${s3.bucket}/output/date=2025-07-30/_manifest.json`);
    const store = storeOf(s3);
    const lines = (await store.getBytes('output/date=2025-07-30/rides.jsonl'))
      .toString()
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(2000);
    // The SQL the demo shows runs as printed, with nothing else installed.
    const shown = result.stdout.match(/\.\/bin\/etml query --date (\S+) --sql "([^"]+)"/);
    expect(shown?.[1]).toBe('2025-07-30');
    const query = await runEtml(
      ['query', '--date', shown?.[1] ?? '', '--sql', shown?.[2] ?? ''],
      env,
    );
    expect(query.code).toBe(0);
    const byReason = query.stdout.split('\n').slice(2, -1);
    expect(byReason[0]).toMatch(/^\[\]\s+\d+\s+[\d.]+$/);
    expect(byReason.length).toBeGreaterThan(3);
    const first = await store.getJson<{ created_at: string }>(
      'output/date=2025-07-30/_manifest.json',
    );
    // A second demo of the same date runs the day again instead of finding it done.
    const again = await runEtml(['demo', '--date', '2025-07-30', '--rides', '2000'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/2025-07-30: 2000 rides/);
    const second = await store.getJson<{ created_at: string }>(
      'output/date=2025-07-30/_manifest.json',
    );
    expect(second.created_at > first.created_at).toBe(true);
  });
});

describe('etml errors', () => {
  test('an unreachable S3 is one line naming the operation and the endpoint', async ({ s3 }) => {
    const env = { ...s3Env(s3), S3_ENDPOINT: 'http://127.0.0.1:9' };
    const result = await runEtml(['simulate', '--date', '2025-07-30', '--rides', '5'], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('failed at http://127.0.0.1:9');
  });

  test('prints Redis URLs without their password', async ({ redis }) => {
    const url = redis.url.replace('redis://', 'redis://etml:hunter2@');
    const result = await runEtml(['embedded', 'up'], {
      REDIS_URL: url,
      S3_BUCKET: 'etml',
      S3_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(result.stderr).toContain('redis://***:***@127.0.0.1');
    expect(result.stderr).not.toContain('hunter2');
  });

  test('a command that reads no configuration ignores a bad variable', async () => {
    const result = await runEtml(['setup'], { S3_ENDPOINT: 'localhost:9000' });
    expect(result.code).toBe(0);
  });

  test('an unknown command and an unknown flag are one-line usage errors', async () => {
    expectOneLineError(
      await runEtml(['frobnicate']),
      'unknown command "frobnicate"',
      'etml --help',
    );
    expectOneLineError(
      await runEtml(['simulate', '--date', '2025-07-30', '--bogus']),
      'unknown flag "--bogus"',
    );
    expectOneLineError(
      await runEtml(['simulate', '--date', '2025-07-30', '--rides', '0']),
      '--rides',
      '"0"',
    );
    expectOneLineError(await runEtml(['upload', '--date', '2025-07-30']), '--file is required');
  });

  test('a bad environment variable is named with its value', async () => {
    const result = await runEtml(['simulate', '--date', '2025-07-30'], {
      S3_ENDPOINT: 'localhost:9000',
    });
    expectOneLineError(
      result,
      'S3_ENDPOINT must be an http:// or https:// URL, got "localhost:9000"',
    );
  });

  test('--verbose adds the stack trace', async () => {
    const result = await runEtml(['--verbose', 'upload', '--date', '2025-02-30', '--file', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toContain('not a real calendar date');
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});
