import { keys, parseRideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { simulateRides } from '@etml/simulate';
import { startFaultProxy, test } from '@etml/testing';
import { Redis } from 'ioredis';
import { describe, expect, onTestFinished } from 'vitest';
import { storeOf } from './helpers.ts';
import { startPipeline } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

/** A fixed scatter over request numbers: the same run faults the same requests. */
const draw = (n: number) => (Math.imul(n, 2_654_435_761) >>> 0) % 100;

describe('S3 faults', () => {
  test('with 10 % of S3 requests answered 503, 3 % of connections dropped and 3 % of answers cut off mid-body, the day completes with the same bytes as a clean run', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    // Each ride's own news: a distinct prompt per anomaly, so a cache object each, and more S3 calls.
    const rides = [...simulateRides({ date, rides: 3_000, seed: 8 })].map(ride => ({
      ...ride,
      news: `${ride.news} Ride reference ${ride.ride_id}.`,
    }));
    const outputs = async (prefix: string, endpoint?: string) => {
      const store = storeOf(s3, { prefix, endpoint });
      await store.writeNdjson(keys.raw(date, 'jsonl'), rides);
      const pipeline = await startPipeline(redis, store);
      await pipeline.runDay(date, 100_000);
      await pipeline.close();
      // The second run starts from an empty Redis, as on another deployment.
      const connection = new Redis(redis.url);
      await connection.flushall();
      connection.disconnect();
      return store.getJson<DayManifest>(keys.manifest(date));
    };

    const clean = await outputs('clean/');
    const proxy = await startFaultProxy({
      targetPort: s3.port,
      fault: n => (draw(n) < 10 ? true : draw(n) < 13 ? 'reset' : draw(n) < 16 ? 'cut' : false),
      status: 503,
    });
    onTestFinished(() => proxy.close());
    const faulty = await outputs('faulty/', proxy.url);

    console.log(
      `S3 through the fault proxy: ${proxy.requests} requests, ${proxy.faulted} answered 503, ${proxy.resets} dropped, ${proxy.cuts} cut`,
    );
    expect(proxy.faulted).toBeGreaterThan(20);
    expect(proxy.resets).toBeGreaterThan(5);
    expect(proxy.cuts).toBeGreaterThan(1);
    const sums = (manifest: DayManifest) =>
      Object.fromEntries(Object.entries(manifest.files).map(([file, f]) => [file, f.sha256]));
    expect(sums(faulty)).toEqual(sums(clean));
    expect(faulty.counts).toEqual(clean.counts);
  });
});
