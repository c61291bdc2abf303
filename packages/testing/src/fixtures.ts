import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  probeTcp,
  redisUrl,
  S3RVER_CREDENTIALS,
  s3Endpoint,
  startRedisServer,
  startS3Server,
} from '@etml/embedded';
import { test as base } from 'vitest';

export interface RedisTarget {
  url: string;
  port: number;
  pid: number;
}

export interface S3Target {
  endpoint: string;
  port: number;
  /** A bucket made for this test alone. */
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `etml-${name}-`));
}

/**
 * Vitest fixtures backed by real servers over TCP: one redis-server (AOF, noeviction) and one
 * S3-API server per worker, with Redis flushed and a fresh bucket for every test. A machine
 * without redis-server fails here with how to install it.
 *
 * s3rver checks the access key but not the signature's secret, so these tests cannot catch a
 * signing or credentials bug; those need MinIO or AWS.
 */
export const test = base
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
  .extend('redisServer', { scope: 'worker' }, async ({}, { onCleanup }) => {
    const dir = tempDir('redis');
    const server = await startRedisServer({ dir });
    onCleanup(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    return { url: redisUrl(server.port), port: server.port, pid: server.pid } as RedisTarget;
  })
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
  .extend('s3Server', { scope: 'worker' }, async ({}, { onCleanup }) => {
    const dir = tempDir('s3');
    const server = await startS3Server({ dir });
    onCleanup(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    return { port: server.port, endpoint: s3Endpoint(server.port) };
  })
  .extend('redis', async ({ redisServer }) => {
    const reply = await probeTcp(redisServer.port, 'FLUSHALL\r\n');
    if (!reply.startsWith('+OK')) throw new Error(`FLUSHALL failed: ${reply}`);
    return redisServer;
  })
  .extend('s3', async ({ s3Server }) => {
    const bucket = `test-${randomUUID().slice(0, 12)}`;
    const target: S3Target = {
      ...s3Server,
      bucket,
      region: 'us-east-1',
      credentials: { ...S3RVER_CREDENTIALS },
    };
    const client = new S3Client({
      endpoint: target.endpoint,
      region: target.region,
      credentials: target.credentials,
      forcePathStyle: true,
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    return target;
  });
