import { serveBoard } from '@etml/board';
import { keys, parseRideDate } from '@etml/domain';
import { enqueueClusterDay, jobIds, promoteClusterDay } from '@etml/queues';
import { createScheduler } from '@etml/scheduler';
import { test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import { runEtml, s3Env, storeOf, waitFor, webhookReceiver } from './helpers.ts';
import {
  llm,
  quiet,
  startFakeLlmFailingOneRide,
  startPipeline,
  uploadDistinctDay,
  uploadSimulatedDay,
} from './pipeline.ts';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

interface AlertBody {
  kind: string;
  date: string;
  text: string;
  step: string;
  reason?: string;
}

describe('alerts to the webhook', () => {
  test('a day missing at REPORT_DEADLINE: one late alert from two schedulers, naming the day and "waiting for raw data"; none after it completes; /metrics says so', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const hook = await webhookReceiver([200]);
    const date = parseRideDate('2025-08-01');
    // The deadline check's clock, moved by the test: 08:00 UTC on the 2nd is when the 1st is due.
    let now = new Date('2025-08-02T07:59:00Z');
    const clock = () => now;
    const pipeline = await startPipeline(redis, store, { rawWaitMs: 3_600_000 });
    const schedulers = await Promise.all(
      [1, 2].map(() =>
        createScheduler({
          redisUrl: redis.url,
          store,
          pattern: '0 6 * * *',
          tz: 'UTC',
          catchUpDays: 0,
          healMs: 60_000,
          deadline: '08:00',
          alert: { url: hook.url, backoffMs: 20 },
          deadlineCheckMs: 50,
          clock,
          log: quiet,
        }),
      ),
    );
    for (const scheduler of schedulers) onTestFinished(() => scheduler.close());
    const board = await serveBoard({
      redisUrl: redis.url,
      host: '127.0.0.1',
      port: 0,
      auth: null,
      freshness: { store, deadline: '08:00', tz: 'UTC', clock },
      log: quiet,
    });
    onTestFinished(() => board.close());
    const metrics = async () => {
      const text = await (await fetch(`http://127.0.0.1:${board.address().port}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      return { last: value('etml_last_complete_day'), late: value('etml_day_late') };
    };

    await enqueueClusterDay(pipeline.clusterQueue, date);
    await waitFor('cluster-D waiting for its raw input', 20_000, async () => {
      const job = await pipeline.clusterQueue.getJob(jobIds.clusterDay(date));
      return (job?.progress as { phase?: string } | undefined)?.phase === 'waiting for raw input';
    });
    expect(await schedulers[0]?.checkDeadline()).toBe('not due yet');
    expect(await metrics()).toEqual({ last: 0, late: 0 });

    now = new Date('2025-08-02T08:01:00Z');
    await waitFor('a late alert', 20_000, () => hook.requests.length > 0);
    // Both schedulers keep checking every 50 ms, and here by hand too: still one alert.
    await Promise.all(schedulers.map(s => s.checkDeadline()));
    await sleep(500);
    expect(hook.requests).toHaveLength(1);
    const alert = hook.requests[0]?.body as AlertBody;
    expect(alert).toMatchObject({ kind: 'late', date, deadline: '08:00', tz: 'UTC' });
    expect(alert.step).toMatch(/^waiting for raw data at /);
    expect(alert.text).toContain(`Ride anomalies for ${date} are late`);
    expect(alert.text).toContain('waiting for raw data');
    expect(await metrics()).toEqual({ last: 0, late: 1 });

    await uploadSimulatedDay(store, date, 500);
    await promoteClusterDay(pipeline.clusterQueue, date);
    await pipeline.runDay(date);
    expect(await store.exists(keys.manifest(date))).toBe(true);
    expect(await schedulers[1]?.checkDeadline()).toBe('complete');
    await sleep(300);
    expect(hook.requests).toHaveLength(1);
    expect(await metrics()).toEqual({ last: Date.UTC(2025, 7, 1) / 1000, late: 0 });
  });

  test('a raw file with no valid rows: one failed alert naming the cluster step and the reason, not again on a retry', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const hook = await webhookReceiver([503, 200]);
    const pipeline = await startPipeline(redis, store, {
      alert: { webhook: { url: hook.url, backoffMs: 20 }, failedSummaryShare: 0.05 },
    });
    const date = parseRideDate('2025-08-03');
    await store.putBytes(
      keys.raw(date, 'jsonl'),
      '{"ride_id":"r1","distance_km":-5}\n{"ride_id":"r2"}\n',
      'application/x-ndjson',
    );
    await expect(pipeline.runDay(date)).rejects.toThrow(/no valid rows/);
    await waitFor('a failed alert', 20_000, () => hook.delivered().length > 0);
    expect(hook.requests.map(r => r.status)).toEqual([503, 200]);
    const alert = hook.delivered()[0]?.body as AlertBody;
    expect(alert).toMatchObject({ kind: 'failed', date, step: 'cluster' });
    expect(alert.reason).toMatch(/has no valid rows/);
    expect(alert.text).toContain(`Ride anomalies for ${date} failed at the cluster step`);
    expect(alert.text).toContain('no valid rows');

    await expect(pipeline.runDay(date)).rejects.toThrow(/no valid rows/);
    await sleep(300);
    expect(hook.delivered()).toHaveLength(1);
  });

  test("more of a complete day's summaries failed than ALERT_FAILED_SUMMARY_SHARE: one failed alert from the fan-in, with the counts", async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const hook = await webhookReceiver([200]);
    const { fake, victim } = await startFakeLlmFailingOneRide();
    const pipeline = await startPipeline(redis, store, {
      summarizer: llm(fake.url),
      retry: { attempts: 2, backoffMs: 20 },
      alert: { webhook: { url: hook.url, backoffMs: 20 }, failedSummaryShare: 0 },
    });
    const date = parseRideDate('2025-08-04');
    await uploadDistinctDay(store, date, 400);
    const result = await pipeline.runDay(date);
    expect(result.counts.summaries_by_source.failed).toBe(1);
    await waitFor('a failed alert', 20_000, () => hook.requests.length > 0);
    const alert = hook.requests[0]?.body as AlertBody & { failed: number; summaries: number };
    expect(alert).toMatchObject({ kind: 'failed', date, step: 'summarize', failed: 1 });
    expect(alert.summaries).toBe(result.counts.anomalies);
    expect(alert.reason).toContain(`the first, ride ${victim()}`);
    // Loaded again (a retried summary's refresh, a rerun): still one alert for the day.
    await pipeline.loadDay(date);
    await sleep(300);
    expect(hook.requests).toHaveLength(1);
  });
});

describe('alert settings', () => {
  test.for([
    ['scheduler', { REPORT_DEADLINE: '8:00' }, 'REPORT_DEADLINE must be a time of day HH:MM'],
    ['scheduler', { REPORT_DEADLINE: '24:00' }, 'got "24:00"'],
    ['board', { REPORT_DEADLINE: '08:60', BOARD_AUTH: 'off' }, 'got "08:60"'],
    [
      'cluster-worker',
      { ALERT_WEBHOOK_URL: 'ftp://hooks.example/x' },
      'ALERT_WEBHOOK_URL must be an http:// or https:// URL, got "ftp://hooks.example/x"',
    ],
    [
      'summarize-worker',
      { ALERT_FAILED_SUMMARY_SHARE: '1.5' },
      'ALERT_FAILED_SUMMARY_SHARE must be a number ≥ 0 and ≤ 1, got "1.5"',
    ],
    [
      'summarize-worker',
      { ALERT_FAILED_SUMMARY_SHARE: '-0.1' },
      'ALERT_FAILED_SUMMARY_SHARE must be a number ≥ 0 and ≤ 1, got "-0.1"',
    ],
  ] as const)(
    '%s refuses %o at start, in one line',
    async ([service, bad, message], { redis, s3 }) => {
      const result = await runEtml([service], { ...s3Env(s3), REDIS_URL: redis.url, ...bad });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
    },
  );
});
