import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_QUEUES, REPORTS_PATH } from '@etml/board';
import { addDays, keys, rideDateInZone } from '@etml/domain';
import { producerConnection, queueOptions } from '@etml/queues';
import { startFakeLlm, test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { AUTH, CHROMIUM, launchChromium, startBoard, VISIBLE } from './browser.ts';
import { ROOT, storeOf, tempDir } from './helpers.ts';
import { llm, startPipeline, uploadDayWithNews, uploadSimulatedDay } from './pipeline.ts';

const INJECTED = `<script>window.__pwned = 'script'</script> Roadworks closed the Clyde Tunnel.`;
/** The README's screenshot; rewritten by `UPDATE_SCREENSHOTS=1 npm test`. */
const README_SHOT = join(ROOT, 'docs', 'reports.png');

describe.skipIf(!existsSync(CHROMIUM))(`the reports pages in a browser (${CHROMIUM})`, () => {
  test('logs in, opens /reports/, follows a day to its plot and anomalies, shows markup from the news as text, and downloads the Parquet file', {
    timeout: 180_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    // Summaries from the real OpenAI client, so that the trend has LLM calls and their cost.
    const fake = await startFakeLlm();
    onTestFinished(() => fake.close());
    const pipeline = await startPipeline(redis, store, { summarizer: llm(fake.url) });
    const yesterday = addDays(rideDateInZone(new Date(), 'UTC'), -1);
    for (let back = 6; back >= 1; back -= 1) {
      // A gap on the fourth day back, for the trend to show one.
      if (back === 4) continue;
      const day = addDays(yesterday, -back);
      await uploadSimulatedDay(store, day, 600 + 120 * back, 30 + back);
      await pipeline.runDay(day);
    }
    await uploadDayWithNews(store, yesterday, {
      rides: 1_200,
      seed: 42,
      news: INJECTED,
      count: 3,
    });
    await pipeline.runDay(yesterday);

    const connection = await producerConnection(redis.url);
    const queues = PIPELINE_QUEUES.map(name => new Queue(name, queueOptions(connection)));
    onTestFinished(async () => {
      await Promise.all(queues.map(q => q.close()));
      connection.disconnect();
    });
    const origin = new URL(await startBoard(queues, connection, { store, scheduleTz: 'UTC' }))
      .origin;
    const browser = await launchChromium();

    const anonymous = await browser.newContext();
    expect((await anonymous.request.get(`${origin}${REPORTS_PATH}/`)).status()).toBe(401);

    const context = await browser.newContext({
      httpCredentials: AUTH,
      acceptDownloads: true,
      viewport: { width: 1100, height: 1000 },
    });
    const page = await context.newPage();
    const fetched: string[] = [];
    page.on('request', request => {
      if (!request.url().startsWith(origin)) fetched.push(request.url());
    });
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));

    const index = await page.goto(`${origin}${REPORTS_PATH}/`);
    expect(index?.status()).toBe(200);
    const trend = page.locator('svg[aria-label^="Rides, anomalies, LLM calls and cost per day"]');
    expect((await trend.boundingBox())?.width).toBeGreaterThan(600);
    expect(await trend.locator('rect').count()).toBeGreaterThan(6 * 4);
    await expect
      .poll(() => page.getByText('late: nothing enqueued').first().isVisible())
      .toBe(true);
    const shot = await page.screenshot({ fullPage: false });
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      writeFileSync(README_SHOT, shot);
    }
    expect(shot.byteLength).toBeGreaterThan(20_000);

    await page.getByRole('link', { name: yesterday, exact: true }).click();
    await page.waitForURL(`${origin}${REPORTS_PATH}/${yesterday}/`);
    await page.screenshot({ path: `${tempDir()}/reports-day.png` });
    const report = page.frameLocator('iframe');
    const plot = report.locator('svg[aria-label^="Ride distance against ride time"]');
    await expect.poll(() => plot.isVisible(), VISIBLE).toBe(true);
    expect((await plot.boundingBox())?.width).toBeGreaterThan(400);
    // The anomalies, the injected news among them as text that never ran.
    await expect
      .poll(() => report.getByText('Anomalous rides').first().isVisible(), VISIBLE)
      .toBe(true);
    const frame = page.frames().find(f => f.url().endsWith('/report.html'));
    const seen = await frame?.evaluate(() => ({
      pwned: (window as { __pwned?: string }).__pwned,
      scripts: document.querySelectorAll('script').length,
      anomalies: document.querySelectorAll('table tbody tr').length,
      text: document.body.textContent ?? '',
    }));
    expect(seen?.pwned).toBeUndefined();
    expect(seen?.scripts).toBe(0);
    expect(seen?.anomalies).toBeGreaterThan(10);
    expect(seen?.text).toContain(INJECTED);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download rides.parquet' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`rides-${yesterday}.parquet`);
    const downloaded = readFileSync(await download.path());
    expect(downloaded.equals(await store.getBytes(keys.output(yesterday, 'rides.parquet')))).toBe(
      true,
    );
    expect(fetched).toEqual([]);
    expect(errors).toEqual([]);

    // From the reports to Bull Board, and back through its menu of links.
    await page.getByRole('link', { name: 'Queues' }).click();
    await expect
      .poll(() => page.getByText('cluster', { exact: true }).first().isVisible())
      .toBe(true);
    await page.locator('ul[class^="actions"] > li').last().locator('button').click();
    await page.getByText('Reports', { exact: true }).click();
    await page.waitForURL(`${origin}${REPORTS_PATH}/`);
  });
});
