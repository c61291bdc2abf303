import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { BOARD_PATH, createBoardApp, PIPELINE_QUEUES } from '@etml/board';
import { producerConnection, QUEUES, workerConnection } from '@etml/queues';
import { test } from '@etml/testing';
import { Queue, Worker } from 'bullmq';
import { chromium } from 'playwright-core';
import { describe, expect, onTestFinished } from 'vitest';
import { tempDir } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const AUTH = { username: 'admin', password: 'board-test-password' };

describe.skipIf(!existsSync(CHROMIUM))(`the board in a browser (${CHROMIUM})`, () => {
  test('logs in, sees the queues, opens a failed job and retries it', async ({ redis }) => {
    const connection = await producerConnection(redis.url);
    const queues = PIPELINE_QUEUES.map(name => new Queue(name, { connection }));
    const server = createBoardApp({ queues, redis: connection, auth: AUTH }).listen(0, '127.0.0.1');
    await new Promise(resolve => server.once('listening', resolve));
    // A job that fails the first time and succeeds when retried.
    const workerRedis = workerConnection(redis.url);
    const worker = new Worker(
      QUEUES.cluster,
      async job => {
        if (job.attemptsMade === 0) throw new Error('boom on purpose');
        return 'done on retry';
      },
      { connection: workerRedis },
    );
    onTestFinished(async () => {
      await worker.close();
      workerRedis.disconnect();
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
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

    const { port } = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}${BOARD_PATH}`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    onTestFinished(() => browser.close());

    // Without credentials the browser's own requests get the 401 (a page load just fails).
    const anonymous = await browser.newContext();
    expect((await anonymous.request.get(base)).status()).toBe(401);

    const context = await browser.newContext({ httpCredentials: AUTH });
    const page = await context.newPage();
    const response = await page.goto(base);
    expect(response?.status()).toBe(200);
    for (const name of ['scheduler', 'cluster', 'summarize', 'load']) {
      await expect.poll(() => page.getByText(name, { exact: true }).first().isVisible()).toBe(true);
    }
    await page.goto(`${base}/queue/${QUEUES.cluster}?status=failed`);
    await expect.poll(() => page.getByText('boom on purpose').first().isVisible()).toBe(true);
    // Open the job, then its retry button (an icon: the circular arrows).
    await page.getByRole('link', { name: 'cluster-2025-07-30' }).click();
    await expect.poll(() => page.getByText('boom on purpose').first().isVisible()).toBe(true);
    await page.screenshot({ path: `${tempDir()}/failed-job.png` });
    await page.locator('button:has(svg.lucide-refresh-cw)').last().click();
    // Some versions ask for confirmation first.
    const confirm = page.getByRole('button', { name: /^(confirm|retry|yes)$/i });
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    await expect.poll(() => job.getState(), { timeout: 10_000 }).toBe('completed');
    expect((await cluster.getJob(job.id as string))?.returnvalue).toBe('done on retry');
  });
});
