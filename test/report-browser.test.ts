/// <reference lib="dom" />
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addDays, keys, parseRideDate } from '@etml/domain';
import { test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { CHROMIUM, launchChromium } from './browser.ts';
import { ROOT, storeOf, tempDir } from './helpers.ts';
import { startPipeline, uploadDayWithNews, uploadSimulatedDay } from './pipeline.ts';

const INJECTED =
  `<script>window.__pwned = 'script'</script><img src=x onerror="window.__pwned = 'img'">` +
  ' Roadworks closed the Clyde Tunnel northbound.';
/** The README's screenshot; rewritten by `UPDATE_SCREENSHOTS=1 npm test`. */
const README_SHOT = join(ROOT, 'docs', 'report.png');

describe.skipIf(!existsSync(CHROMIUM))(`report.html in a browser (${CHROMIUM})`, () => {
  test('shows the plot, runs no script from the data, fetches nothing, and gives the README its screenshot', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const pipeline = await startPipeline(redis, store);
    const date = parseRideDate('2025-07-30');
    // Three earlier days, for the trend.
    for (let back = 3; back >= 1; back -= 1) {
      const earlier = addDays(date, -back);
      await uploadSimulatedDay(store, earlier, 1_000 + 150 * back, 30 + back);
      await pipeline.runDay(earlier);
    }
    // News that is markup, on rides the simulator makes anomalous.
    await uploadDayWithNews(store, date, { rides: 1_200, seed: 42, news: INJECTED, count: 3 });
    await pipeline.runDay(date);
    const file = join(tempDir(), 'report.html');
    writeFileSync(file, await store.getBytes(keys.output(date, 'report.html')));

    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
    const fetched: string[] = [];
    page.on('request', request => {
      if (!request.url().startsWith('file:')) fetched.push(request.url());
    });
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));
    await page.goto(pathToFileURL(file).href);

    // The injected markup is shown as text and never runs.
    const seen = await page.evaluate(() => ({
      pwned: (window as { __pwned?: string }).__pwned,
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      text: document.body.textContent ?? '',
    }));
    expect(seen.pwned).toBeUndefined();
    expect(seen.scripts).toBe(0);
    expect(seen.images).toBe(0);
    expect(seen.text).toContain("<script>window.__pwned = 'script'</script>");
    expect(fetched).toEqual([]);
    expect(errors).toEqual([]);

    // The plot is laid out, and its pixels are not blank: grey rides and coloured anomalies.
    const plot = page.locator('svg[aria-label^="Ride distance against ride time"]');
    const box = await plot.boundingBox();
    expect(box?.width).toBeGreaterThan(600);
    const shot = await plot.screenshot();
    const probe = await browser.newPage();
    const pixels = await probe.evaluate(async png => {
      const image = new Image();
      image.src = `data:image/png;base64,${png}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
      context.drawImage(image, 0, 0);
      const data = context.getImageData(0, 0, image.width, image.height).data;
      let inked = 0;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];
        if (r + g + b < 3 * 235) inked += 1;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 80) coloured += 1;
      }
      return { total: data.length / 4, inked, coloured };
    }, shot.toString('base64'));
    expect(pixels.inked / pixels.total).toBeGreaterThan(0.02);
    expect(pixels.coloured).toBeGreaterThan(50);

    const page1 = await page.screenshot({ clip: { x: 0, y: 0, width: 1100, height: 1300 } });
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      writeFileSync(README_SHOT, page1);
    }
    expect(page1.byteLength).toBeGreaterThan(20_000);
  });
});
