import { existsSync } from 'node:fs';
import { PIPELINE_QUEUES } from '@etml/board';
import { parseRideDate } from '@etml/domain';
import { producerConnection, QUEUES, queueOptions, workerConnection } from '@etml/queues';
import { test } from '@etml/testing';
import { Queue, Worker } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { AUTH, CHROMIUM, launchChromium, startBoard, VISIBLE } from './browser.ts';
import { storeOf, tempDir } from './helpers.ts';
import { loadedWithFailed, startPipelineWithLlmDown, uploadDistinctDay } from './pipeline.ts';

describe.skipIf(!existsSync(CHROMIUM))(`the board in a browser (${CHROMIUM})`, () => {
  test('logs in, sees the queues, opens a failed job and retries it', async ({ redis }) => {
    const connection = await producerConnection(redis.url);
    const queues = PIPELINE_QUEUES.map(name => new Queue(name, queueOptions(connection)));
    const base = await startBoard(queues, connection);
    // A job that fails the first time and succeeds when retried.
    const workerRedis = workerConnection(redis.url);
    const worker = new Worker(
      QUEUES.cluster,
      async job => {
        if (job.attemptsMade === 0) throw new Error('boom on purpose');
        return 'done on retry';
      },
      queueOptions(workerRedis),
    );
    onTestFinished(async () => {
      await worker.close();
      workerRedis.disconnect();
      await Promise.all(queues.map(q => q.close()));
      connection.disconnect();
    });
    const cluster = queues.find(q => q.name === QUEUES.cluster) as Queue;
    const job = await cluster.add(
      'cluster-day',
      { date: '2025-07-30' },
      { jobId: 'cluster-2025-07-30' },
    );
    for (let i = 0; i < 100 && (await job.getState()) !== 'failed'; i += 1) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    expect(await job.getState()).toBe('failed');

    const browser = await launchChromium();

    // Without credentials the browser's own requests get the 401 (a page load just fails).
    const anonymous = await browser.newContext();
    expect((await anonymous.request.get(base)).status()).toBe(401);

    const context = await browser.newContext({ httpCredentials: AUTH });
    const page = await context.newPage();
    const response = await page.goto(base);
    expect(response?.status()).toBe(200);
    for (const name of ['scheduler', 'cluster', 'summarize', 'load']) {
      await expect
        .poll(() => page.getByText(name, { exact: true }).first().isVisible(), VISIBLE)
        .toBe(true);
    }
    await page.goto(`${base}/queue/${QUEUES.cluster}?status=failed`);
    await expect
      .poll(() => page.getByText('boom on purpose').first().isVisible(), VISIBLE)
      .toBe(true);
    // Open the job, then its retry button (an icon: the circular arrows).
    await page.getByRole('link', { name: 'cluster-2025-07-30' }).click();
    await expect
      .poll(() => page.getByText('boom on purpose').first().isVisible(), VISIBLE)
      .toBe(true);
    await page.screenshot({ path: `${tempDir()}/failed-job.png` });
    await page.locator('button:has(svg.lucide-refresh-cw)').last().click();
    // Some versions ask for confirmation first.
    const confirm = page.getByRole('button', { name: /^(confirm|retry|yes)$/i });
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    await expect.poll(() => job.getState(), { timeout: 10_000 }).toBe('completed');
    expect((await cluster.getJob(job.id as string))?.returnvalue).toBe('done on retry');
  });

  test('a day loaded with failed summaries (LLM unreachable); the LLM comes back; "Retry all" on the failed summaries: within a minute the day has every summary', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const date = parseRideDate('2025-07-30');
    const { pipeline, up } = await startPipelineWithLlmDown(redis, store);
    await uploadDistinctDay(store, date, 400);
    const loaded = await pipeline.runDay(date);
    const anomalies = loaded.counts.anomalies;
    expect(anomalies).toBeGreaterThan(5);
    expect(loaded.counts.summaries_by_source.failed).toBe(anomalies);
    up();

    const connection = await producerConnection(redis.url);
    const queues = PIPELINE_QUEUES.map(name => new Queue(name, queueOptions(connection)));
    onTestFinished(async () => {
      await Promise.all(queues.map(q => q.close()));
      connection.disconnect();
    });
    const base = await startBoard(queues, connection);
    const browser = await launchChromium();
    const page = await (await browser.newContext({ httpCredentials: AUTH })).newPage();
    await page.goto(`${base}/queue/${QUEUES.summarize}?status=failed`);
    // Each failure names the endpoint and that no retry is coming.
    await expect
      .poll(() => page.getByText('gave up after 2 attempts').first().isVisible(), {
        timeout: 15_000,
      })
      .toBe(true);
    await page
      .getByRole('button', { name: /^retry all/i })
      .first()
      .click();
    // The board asks for confirmation of queue actions unless told not to.
    const confirm = page.getByRole('button', { name: /^confirm$/i });
    if (await confirm.isVisible().catch(() => false)) await confirm.click();

    const fixed = await loadedWithFailed(store, pipeline.loadQueue, date, 0);
    await page.screenshot({ path: `${tempDir()}/retried-day.png` });
    expect(fixed.manifest.counts.summaries_by_source).toEqual({
      llm: anomalies,
      extractive: 0,
      failed: 0,
    });
    const summarized = fixed.rides.filter(r => r.anomaly);
    expect(summarized).toHaveLength(anomalies);
    for (const ride of summarized) {
      expect(ride).toMatchObject({ summary_source: 'llm', summary_error: null });
      expect(ride.summary).toBeTruthy();
    }
  });
});
