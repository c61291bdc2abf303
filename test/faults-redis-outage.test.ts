import { keys, parseRideDate } from '@etml/domain';
import { getFreePort } from '@etml/embedded';
import type { DayManifest } from '@etml/outputs';
import { startFakeLlm, test } from '@etml/testing';
import { describe, expect, onTestFinished } from 'vitest';
import {
  llmServicesEnv,
  ownRedisServer,
  runEtml,
  startService,
  storeOf,
  waitFor,
} from './helpers.ts';
import { uploadDistinctDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');
// As the issue asks: nothing in the services depends on how long the outage lasts.
const OUTAGE_MS = 120_000;
const SERVICES = ['cluster-worker', 'summarize-worker', 'scheduler', 'board'] as const;

/** The lines a service wrote from `from` (its own timestamps) to `to`. */
function linesBetween(stderr: string, from: number, to: number): string[] {
  return stderr.split('\n').filter(line => {
    const at = Date.parse(line.slice(0, 24));
    return at >= from && at < to;
  });
}

describe('Redis unreachable for 2 minutes', () => {
  test('every service retries with backoff, logs a line per attempt at most, and the day completes once Redis is back', {
    timeout: OUTAGE_MS + 180_000,
  }, async ({ s3 }) => {
    const redis = await ownRedisServer();
    const fake = await startFakeLlm({ latencyMs: 100 });
    onTestFinished(() => fake.close());
    const store = storeOf(s3);
    await uploadDistinctDay(store, date, 1_500);
    const boardPort = await getFreePort();
    const env = {
      ...llmServicesEnv(s3, redis.url, fake.url),
      CATCHUP_DAYS: '0',
      SCHEDULE_HEAL_SECONDS: '5',
      BOARD_PORT: String(boardPort),
      BOARD_PASSWORD: 'secret',
    };
    const services = SERVICES.map(name => startService(name, env));
    await waitFor('every service ready', 30_000, () =>
      services.every(s => / INFO \S+ ready /.test(s.stderr())),
    );
    expect((await runEtml(['enqueue', '--date', date], env)).code).toBe(0);
    await waitFor('summaries under way', 60_000, () => fake.count(200) >= 15);

    // SIGTERM: Redis keeps its AOF, so only its being away is tested here.
    await redis.stop();
    const down = Date.now();
    await new Promise(resolve => setTimeout(resolve, OUTAGE_MS));
    await redis.start();
    const up = Date.now();

    await waitFor('the manifest', 120_000, () => store.exists(keys.manifest(date)));
    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    expect(manifest.counts.summaries_by_source).toEqual({
      llm: manifest.counts.anomalies,
      extractive: 0,
      failed: 0,
    });
    const health = await waitFor('the board healthy', 30_000, async () => {
      const answer = await fetch(`http://127.0.0.1:${boardPort}/healthz`).catch(() => undefined);
      return answer?.status === 200 ? answer : undefined;
    });
    expect(health.status).toBe(200);

    for (const [i, service] of services.entries()) {
      const name = SERVICES[i];
      const during = linesBetween(service.stderr(), down, up);
      // Each connection tries again at least every 5 s (ioredis) or 20 s (BullMQ's own), so
      // there are dozens of attempts; the lines come 1, 2, 4… up to 60 s apart: 8 at most.
      console.log(`${name}: ${during.length} lines in the ${OUTAGE_MS / 1000} s outage`);
      expect(during.length, `${name}:\n${during.join('\n')}`).toBeLessThanOrEqual(8);
      const unreachable = during.filter(line => line.includes('Redis is not reachable'));
      expect(unreachable.length, `${name}:\n${during.join('\n')}`).toBeGreaterThanOrEqual(1);
      // Never restarted: still the first process, which stops cleanly.
      expect(service.stderr().match(/ INFO \S+ ready /g)).toHaveLength(1);
      expect(await service.stop()).toBe(0);
    }
  });
});
