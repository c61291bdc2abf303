import { keys, parseRideDate, type RideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { type RedisTarget, type S3Target, test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, storeOf } from './helpers.ts';
import { llm, startFakeLlmFailingOneRide, startPipeline, uploadDistinctDay } from './pipeline.ts';

/**
 * These days uploaded, and workers in this process whose provider always fails one ride (in
 * each day that has it). rawWaitMs is 0: a day without raw input fails at once.
 */
async function daysWithAFailingRide(redis: RedisTarget, s3: S3Target, dates: RideDate[]) {
  const store = storeOf(s3);
  for (const date of dates) await uploadDistinctDay(store, date, 400);
  const { fake } = await startFakeLlmFailingOneRide();
  await startPipeline(redis, store, {
    summarizer: llm(fake.url),
    retry: { attempts: 2, backoffMs: 50 },
  });
  return { store, env: { ...s3Env(s3), REDIS_URL: redis.url } };
}

describe('etml run --max-failed-share', () => {
  test('exits 1 naming how many summaries failed and the first reason, unless the share allows it', async ({
    redis,
    s3,
  }) => {
    const date = parseRideDate('2025-09-01');
    const { store, env } = await daysWithAFailingRide(redis, s3, [date]);

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
});

describe('etml backfill', () => {
  test('names the dates without raw input; --follow follows the range to the end and exits as run does', async ({
    redis,
    s3,
  }) => {
    const [d1, d2, d3] = ['2025-09-10', '2025-09-11', '2025-09-12'].map(d => parseRideDate(d)) as [
      RideDate,
      RideDate,
      RideDate,
    ];
    const { env } = await daysWithAFailingRide(redis, s3, [d1, d2]);

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
