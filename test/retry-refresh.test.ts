import { keys, parseRideDate } from '@etml/domain';
import { type LatestPointer, readLatest } from '@etml/outputs';
import { JOBS, jobIds } from '@etml/queues';
import { test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { storeOf, waitFor } from './helpers.ts';
import {
  fanIns,
  loadedWithFailed,
  readOutputDay,
  startPipelineWithLlmDown,
  uploadDistinctDay,
} from './pipeline.ts';

const date = parseRideDate('2025-07-30');

describe('a summary that finishes after its day was loaded refreshes the day', () => {
  test('LLM unreachable, then back: one failed summary retried, then "retry all": the day ends with every summary, one fan-in per retry burst', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const { pipeline, host, up } = await startPipelineWithLlmDown(redis, store);
    const { loadQueue, summarizeQueue } = pipeline;
    await uploadDistinctDay(store, date, 400);
    const first = await pipeline.runDay(date);
    const anomalies = first.counts.anomalies;
    expect(anomalies).toBeGreaterThan(5);
    expect(first.counts.summaries_by_source).toEqual({ llm: 0, extractive: 0, failed: anomalies });
    // The reason names the endpoint's host and says no retry is coming.
    const loaded = await readOutputDay(store, date);
    const reason = loaded.manifest.failed_summaries[0]?.reason ?? '';
    expect(reason).toContain(`LLM call to ${host} failed (gave up after 2 attempts)`);
    expect(reason).not.toContain('will retry');
    expect(reason).not.toMatch(/sk-test|http:/);
    expect(loaded.rides.find(r => r.anomaly)?.summary_error).toBe(reason);
    // The attempt before said, truthfully, that one more was coming.
    const [failedJob] = await summarizeQueue.getJobs(['failed'], 0, 0);
    expect(failedJob?.stacktrace?.[0]).toContain(
      `LLM call to ${host} failed (will retry: attempt 1 of 2)`,
    );
    const latestBefore = (await readLatest(store)) as LatestPointer;
    expect(await fanIns(loadQueue, date)).toBe(1);

    up();
    // One job's Retry, as Bull Board's button does it.
    const [one] = await summarizeQueue.getJobs(['failed'], 0, 0);
    await one?.retry('failed');
    const afterOne = await loadedWithFailed(store, loadQueue, date, anomalies - 1);
    expect(afterOne.manifest.counts.summaries_by_source.llm).toBe(1);
    expect(afterOne.rides.filter(r => r.summary_source === 'llm')).toHaveLength(1);
    expect(await fanIns(loadQueue, date)).toBe(2);

    // "Retry all" on the failed tab.
    await summarizeQueue.retryJobs({ state: 'failed' });
    const fixed = await loadedWithFailed(store, loadQueue, date, 0);
    expect(fixed.manifest.counts.summaries_by_source).toEqual({
      llm: anomalies,
      extractive: 0,
      failed: 0,
    });
    expect(fixed.manifest.failed_summaries).toEqual([]);
    for (const ride of fixed.rides.filter(r => r.anomaly)) {
      expect(ride).toMatchObject({ summary_source: 'llm', summary_error: null });
      expect(ride.summary).toBeTruthy();
    }
    const latest = (await readLatest(store)) as LatestPointer;
    expect(latest.date).toBe(date);
    expect(latest.completed_at > latestBefore.completed_at).toBe(true);
    expect((await summarizeQueue.getJobCounts('failed')).failed).toBe(0);
    // One fan-in for the whole burst: the refreshes it asked for were debounced into one rerun.
    expect(await fanIns(loadQueue, date)).toBe(3);
    const refreshes = await loadQueue.getJobs(['completed', 'delayed', 'wait', 'active']);
    const reruns = refreshes.filter(
      job => job.name === JOBS.refreshDay.name && job.returnvalue?.action === 'rerun',
    );
    expect(reruns).toHaveLength(2);
  });

  test('a load-D that failed for good, its summaries retried: the refresh runs it again and the day completes', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const { pipeline, up } = await startPipelineWithLlmDown(redis, store);
    const { loadQueue, summarizeQueue } = pipeline;
    await uploadDistinctDay(store, date, 400);
    // load-D with a single attempt (what hours of failed retries would leave it), added before
    // the day is clustered so the cluster step hands the day to it; the summaries are held
    // while it fans out.
    await Promise.all([summarizeQueue.pause(), loadQueue.pause()]);
    const loadId = jobIds.loadDay(date);
    await loadQueue.add(
      JOBS.loadDay.name,
      { date },
      { ...JOBS.loadDay.options, attempts: 1, jobId: loadId },
    );
    await pipeline.clusterQueue.add(
      JOBS.clusterDay.name,
      { date },
      { ...JOBS.clusterDay.options, jobId: jobIds.clusterDay(date) },
    );
    await waitFor('cluster-D done', 30_000, async () => {
      return (await pipeline.clusterQueue.getJobState(jobIds.clusterDay(date))) === 'completed';
    });
    await loadQueue.resume();
    await waitFor('load-D waiting for its summaries', 30_000, async () => {
      return (await loadQueue.getJobState(loadId)) === 'waiting-children';
    });
    // The clustered rides change under load-D (their sha256 no longer matches): its fan-in fails.
    const clustered = await store.getBytes(keys.clustered(date));
    await store.putBytes(
      keys.clustered(date),
      Buffer.concat([clustered, Buffer.from('\n')]),
      'application/x-ndjson',
    );
    await summarizeQueue.resume();
    await waitFor('load-D failed', 30_000, async () => {
      return (await loadQueue.getJobState(loadId)) === 'failed';
    });
    expect((await loadQueue.getJob(loadId))?.failedReason).toMatch(/sha256/);
    expect(await store.getJsonIfExists(keys.manifest(date))).toBeUndefined();

    // The input is repaired and the LLM is back: "retry all" on the failed summaries.
    await store.putBytes(keys.clustered(date), clustered, 'application/x-ndjson');
    up();
    await summarizeQueue.retryJobs({ state: 'failed' });
    const fixed = await loadedWithFailed(store, loadQueue, date, 0);
    expect(fixed.manifest.counts.anomalies).toBeGreaterThan(5);
    expect(fixed.manifest.counts.summaries_by_source.llm).toBe(fixed.manifest.counts.anomalies);
    expect((await readLatest(store))?.date).toBe(date);
  });
});
