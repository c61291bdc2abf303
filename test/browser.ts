import type { AddressInfo } from 'node:net';
import { BOARD_PATH, type BoardAppOptions, createBoardApp } from '@etml/board';
import type { RedisClient } from '@etml/runtime';
import type { Queue } from 'bullmq';
import { chromium } from 'playwright-core';
import { onTestFinished } from 'vitest';

/** Debian's Chromium: tests drive it and never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const AUTH = { username: 'admin', password: 'board-test-password' };

/** Debian's Chromium, headless; closed when the test ends. */
export async function launchChromium() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  onTestFinished(() => browser.close());
  return browser;
}

/** The board on a free port of 127.0.0.1, closed when the test ends; its Bull Board URL. */
export async function startBoard(
  queues: Queue[],
  redis: RedisClient,
  reports?: BoardAppOptions['reports'],
): Promise<string> {
  const server = createBoardApp({
    queues,
    redis,
    auth: AUTH,
    ...(reports ? { reports } : {}),
  }).listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}${BOARD_PATH}`;
}

/** expect.poll's wait for what a page shows: the board's pages fetch their data after load, and
 * on a busy machine that takes seconds, far past the 1 s default. */
export const VISIBLE = { timeout: 15_000 };
