import { DependencyError, NotFoundError } from '@etml/domain';
import { type S3Target, startFaultProxy, test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { createObjectStore } from './index.ts';

function storeFor(
  s3: S3Target,
  overrides: { endpoint?: string; maxAttempts?: number; prefix?: string } = {},
) {
  return createObjectStore({
    bucket: s3.bucket,
    prefix: overrides.prefix ?? 'etml/',
    endpoint: overrides.endpoint ?? s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    ...(overrides.maxAttempts ? { maxAttempts: overrides.maxAttempts } : {}),
  });
}

describe('ObjectStore against a real S3-API server', () => {
  test('round-trips JSON, reports existence and lists by prefix under S3_PREFIX', async ({
    s3,
  }) => {
    const store = storeFor(s3);
    const manifest = { date: '2025-07-30', counts: { rides: 400, anomalies: 21 }, note: 'ü ✓' };
    expect(await store.exists('output/date=2025-07-30/_manifest.json')).toBe(false);
    const written = await store.putJson('output/date=2025-07-30/_manifest.json', manifest);
    await store.putBytes('output/date=2025-07-31/report.html', '<p>hi</p>', 'text/html');
    await store.putBytes('raw/date=2025-07-30/rides.csv', 'ride_id\n', 'text/csv');

    expect(await store.exists('output/date=2025-07-30/_manifest.json')).toBe(true);
    expect(await store.getJson('output/date=2025-07-30/_manifest.json')).toEqual(manifest);
    expect(written.sha256).toMatch(/^[0-9a-f]{64}$/);
    const listed = [];
    for await (const item of store.list('output/')) listed.push(item.key);
    expect(listed).toEqual([
      'output/date=2025-07-30/_manifest.json',
      'output/date=2025-07-31/report.html',
    ]);
    expect(store.uri('raw/x')).toBe(`s3://${s3.bucket}/etml/raw/x`);
  });

  test('a missing object is a NotFoundError naming its URI', async ({ s3 }) => {
    const store = storeFor(s3);
    await expect(store.getJson('nope.json')).rejects.toThrow(NotFoundError);
    await expect(store.getBytes('nope.json')).rejects.toThrow(
      `s3://${s3.bucket}/etml/nope.json does not exist`,
    );
    // getJsonIfExists: missing is undefined, anything else still fails.
    expect(await store.getJsonIfExists('nope.json')).toBeUndefined();
    await store.putBytes('bad.json', '{"half', 'application/json');
    await expect(store.getJsonIfExists('bad.json')).rejects.toThrow(SyntaxError);
    await store.putJson('good.json', { a: 1 });
    expect(await store.getJsonIfExists('good.json')).toEqual({ a: 1 });
  });

  test('streams a 200k-line NDJSON file both ways, uploading before the producer finishes', async ({
    s3,
  }) => {
    const proxy = await startFaultProxy({ targetPort: s3.port, fault: () => false });
    const store = storeFor(s3, { endpoint: proxy.url });
    const total = 200_000;
    let requestsWhenProducerFinished = -1;
    function* rows() {
      for (let i = 0; i < total; i += 1) {
        yield { ride_id: `r${i}`, ride_dist: i / 1000, ride_time: i / 3000, text: 'x'.repeat(80) };
      }
      requestsWhenProducerFinished = proxy.requests;
    }
    const written = await store.writeNdjson('clustered/date=2025-07-30/rides.jsonl', rows());
    expect(written.lines).toBe(total);
    expect(written.bytes).toBeGreaterThan(20_000_000);
    // A multipart upload had already sent parts while rows were still being produced.
    expect(requestsWhenProducerFinished).toBeGreaterThan(2);

    let count = 0;
    let bytes = 0;
    let downloadedAtFirstRow = -1;
    const before = proxy.bytesDown;
    for await (const row of store.readNdjson<{ ride_id: string; ride_dist: number }>(
      'clustered/date=2025-07-30/rides.jsonl',
    )) {
      if (count === 0) downloadedAtFirstRow = proxy.bytesDown - before;
      expect(row.ride_id).toBe(`r${count}`);
      bytes += JSON.stringify(row).length + 1;
      count += 1;
    }
    expect(count).toBe(total);
    expect(bytes).toBe(written.bytes);
    // The first row arrived while most of the object was still on the server.
    expect(downloadedAtFirstRow).toBeGreaterThan(0);
    expect(downloadedAtFirstRow).toBeLessThan(written.bytes / 2);
    await proxy.close();
  });

  test('reports a failed upload as the S3 error, naming the object, not as an abort', async ({
    s3,
  }) => {
    const failing = await startFaultProxy({ targetPort: s3.port, fault: n => n >= 3, status: 500 });
    const store = storeFor(s3, { endpoint: failing.url, maxAttempts: 2 });
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ i, pad: 'x'.repeat(80) }));
    const error = await store.writeNdjson('big.jsonl', rows).catch((e: Error) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toContain(
      `upload of s3://${s3.bucket}/etml/big.jsonl failed at ${failing.url}`,
    );
    await failing.close();
  });

  test('reports a failing source as its own error', async ({ s3 }) => {
    async function* rows() {
      for (let i = 0; i < 100_000; i += 1) yield { i, pad: 'x'.repeat(80) };
      throw new Error('the producer broke at row 100000');
    }
    await expect(storeFor(s3).writeNdjson('broken.jsonl', rows())).rejects.toThrow(
      'the producer broke at row 100000',
    );
    expect(await storeFor(s3).exists('broken.jsonl')).toBe(false);
  });

  test('names the endpoint when S3 cannot be reached', async ({ s3 }) => {
    const store = storeFor(s3, { endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    await expect(store.getJson('a.json')).rejects.toThrow(
      `S3 GetObject s3://${s3.bucket}/etml/a.json failed at http://127.0.0.1:9`,
    );
    await expect(store.getJsonIfExists('a.json')).rejects.toThrow('failed at http://127.0.0.1:9');
  });

  test('retries 5xx answers through the SDK retry strategy, and gives up after maxAttempts', async ({
    s3,
  }) => {
    const flaky = await startFaultProxy({ targetPort: s3.port, fault: n => n <= 2, status: 503 });
    await storeFor(s3, { endpoint: flaky.url }).putJson('a.json', { ok: true });
    expect(flaky.faulted).toBe(2);
    expect(await storeFor(s3).getJson('a.json')).toEqual({ ok: true });
    await flaky.close();

    const down = await startFaultProxy({ targetPort: s3.port, fault: () => true, status: 500 });
    await expect(
      storeFor(s3, { endpoint: down.url, maxAttempts: 3 }).putJson('b.json', {}),
    ).rejects.toThrow();
    expect(down.requests).toBe(3);
    await down.close();
  });
});
