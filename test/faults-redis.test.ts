import { parseRideDate } from '@etml/domain';
import { test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { ownRedisServer, waitFor } from './helpers.ts';
import { startServicesDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

describe('a Redis restart in the middle of a day', () => {
  test('SIGTERM, then the same redis-server started again on its AOF: no job is lost and the day completes', {
    timeout: 180_000,
  }, async ({ s3 }) => {
    // A redis-server of this test's own, since it is stopped and started again.
    const redis = await ownRedisServer();
    const day = await startServicesDay(s3, { REDIS_URL: redis.url }, date);

    await waitFor('summaries under way', 60_000, () => day.fake.count(200) >= 15);
    await redis.stop();
    const answeredWhileUp = day.fake.count(200);
    await new Promise(resolve => setTimeout(resolve, 2_000));
    await redis.start();
    const restarted = Date.now();

    const manifest = await day.completed(120_000);
    console.log(
      `Redis down 2 s after ${answeredWhileUp} summaries; the day completed ${((Date.now() - restarted) / 1000).toFixed(1)} s after the restart`,
    );
    expect(answeredWhileUp).toBeLessThan(manifest.counts.anomalies);
    // Both services rode it out: still running, and they said Redis went away.
    expect(day.stderr()).toMatch(/ECONNREFUSED|Connection is closed|reconnect/i);
  });
});
