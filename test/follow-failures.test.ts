import { keys, parseRideDate, type RideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, storeOf } from './helpers.ts';
import { llm, startPipeline, uploadDistinctDay } from './pipeline.ts';

/** A provider that always fails for the first ride it is asked about (in any day). */
async function failingForOneRide() {
  let victim: string | undefined;
  const fake = await startFakeLlm({
    alwaysFail: user => {
      victim ??= /Ride reference (\S+)\./.exec(user)?.[1];
      return user.includes(`Ride reference ${victim}.`);
    },
  });
  onTestFinished(() => fake.close());
  return fake;
}

describe('etml run --max-failed-share', () => {
  test('exits 1 naming how many summaries failed and the first reason, unless the share allows it', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const date = parseRideDate('2025-09-01');
    await uploadDistinctDay(store, date, 400);
    const fake = await failingForOneRide();
    await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      retry: { attempts: 2, backoffMs: 50 },
    });

    const run = await runEtml(['run', '--date', date], env);
    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    const [first] = manifest.failed_summaries;
    expect(manifest.counts.summaries_by_source.failed).toBe(1);
    expect(run.code).toBe(1);
    // The outputs are still there and named; the failure is the last line.
    expect(run.stdout).toContain(`output/date=${date}/_manifest.json`);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
      `etml: ${date}: 1 of ${manifest.counts.anomalies} summaries failed (more than --max-failed-share 0 allows); the first, ride ${first?.ride_id}: ${first?.reason}`,
    );

    const allowed = await runEtml(['run', '--date', date, '--max-failed-share', '0.5'], env);
    expect(allowed.code, allowed.stderr).toBe(0);
    const again = await runEtml(['run', '--date', date], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('1 of');
  });

  test.for([
    [
      ['run', '--date', '2025-09-01', '--max-failed-share', '1.5'],
      '--max-failed-share must be a number from 0 to 1, got "1.5"',
    ],
    [
      ['run', '--date', '2025-09-01', '--max-failed-share', 'some'],
      '--max-failed-share must be a number from 0 to 1, got "some"',
    ],
    [
      ['run', '--date', '2025-09-01', '--max-failed-share='],
      '--max-failed-share must be a number from 0 to 1, got ""',
    ],
    [
      ['backfill', '--from', '2025-09-01', '--to', '2025-09-02', '--max-failed-share', '0.1'],
      '--max-failed-share goes with --follow',
    ],
    [
      [
        'backfill',
        '--from',
        '2025-09-01',
        '--to',
        '2025-09-02',
        '--follow',
        // A negative value right after the flag is Node's parser's to refuse; '=' reaches ours.
        '--max-failed-share=-1',
      ],
      'must be a number from 0 to 1, got "-1"',
    ],
  ] as const)('%s is refused in one line: %s', async ([args, message], { redis, s3 }) => {
    const result = await runEtml([...args], { ...s3Env(s3), REDIS_URL: redis.url });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});

describe('etml backfill', () => {
  test('names the dates without raw input; --follow follows the range to the end and exits as run does', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const env = { ...s3Env(s3), REDIS_URL: redis.url };
    const [d1, d2, d3] = ['2025-09-10', '2025-09-11', '2025-09-12'].map(d => parseRideDate(d)) as [
      RideDate,
      RideDate,
      RideDate,
    ];
    await uploadDistinctDay(store, d1, 400);
    await uploadDistinctDay(store, d2, 400);
    const fake = await failingForOneRide();
    // rawWaitMs 0: a day without raw input fails at once.
    await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      retry: { attempts: 2, backoffMs: 50 },
    });

    const all = await runEtml(['backfill', '--from', d1, '--to', d3, '--follow'], env);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('3 enqueued, 0 already queued or done');
    expect(all.stdout).toContain(
      `no raw input yet for 1 of 3 dates (their cluster jobs start when it is uploaded): ${d3}\n`,
    );
    for (const date of [d1, d2]) {
      expect(all.stdout).toContain(`output/date=${date}/_manifest.json`);
    }
    expect(all.stderr).toContain(`cluster-${d3} failed: no raw input for ${d3}`);
    expect(all.stderr).toMatch(/summaries failed \(more than --max-failed-share 0 allows\)/);
    expect(all.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^etml: [23] of 3 days failed or had failed summaries; the first: /,
    );

    const twoDays = await runEtml(
      ['backfill', '--from', d1, '--to', d2, '--follow', '--max-failed-share', '1'],
      env,
    );
    expect(twoDays.code, twoDays.stderr).toBe(0);
    expect(twoDays.stdout).toContain('0 enqueued, 2 already queued or done');
    expect(twoDays.stdout).not.toContain('no raw input yet');

    // The failed day's data arrives: the upload says how to run it, rather than doing it.
    const simulate = await runEtml(['simulate', '--date', d3], env);
    expect(simulate.code, simulate.stderr).toBe(0);
    expect(simulate.stderr).toContain(`cluster-${d3} failed (no raw input for ${d3}`);
    expect(simulate.stderr).toContain(`etml run --date ${d3} --force runs it again on this input`);
  });
});
