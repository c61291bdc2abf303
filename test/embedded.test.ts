import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  embeddedStatus,
  ensureEmbeddedRedis,
  ensureEmbeddedS3,
  ensureRedisServerBinary,
  probeTcp,
  stopEmbedded,
} from '@etml/embedded';
import { test } from '@etml/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

describe('the Redis fixture', () => {
  test('connects to a real redis-server with AOF and noeviction', async ({ redis }) => {
    const client = new Redis(redis.url);
    try {
      expect(await client.ping()).toBe('PONG');
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
      await client.set('left-over', '1');
    } finally {
      client.disconnect();
    }
  });

  test('starts every test with an empty Redis', async ({ redis }) => {
    const client = new Redis(redis.url);
    try {
      expect(await client.dbsize()).toBe(0);
    } finally {
      client.disconnect();
    }
  });

  it('says how to install redis-server when it is missing', () => {
    expect(() => ensureRedisServerBinary({ install: false, searchPath: '/nonexistent' })).toThrow(
      /redis-server .* is not installed.*apt-get install -y redis-server.*brew install redis.*docker compose up -d redis/s,
    );
  });
});

describe('embedded defaults', () => {
  it('starts one server when several commands ask at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'etml-embedded-'));
    try {
      const servers = await Promise.all([1, 2, 3].map(() => ensureEmbeddedS3(dataDir, 'etml')));
      expect(new Set(servers.map(s => s.pid)).size).toBe(1);
      expect(servers.filter(s => s.started)).toHaveLength(1);
    } finally {
      await stopEmbedded(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('never signals a process that is not its server, even with its pid on record', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'etml-embedded-'));
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, 'redis.json'), JSON.stringify({ pid: stranger.pid, port: 1 }));
      expect(await embeddedStatus(dataDir)).toEqual({ redis: undefined, s3: undefined });
      expect(await stopEmbedded(dataDir)).toEqual([]);
      expect(stranger.exitCode).toBeNull();
      expect(() => process.kill(stranger.pid as number, 0)).not.toThrow();
    } finally {
      stranger.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts Redis and S3 once, shares them across calls, and stops them keeping the data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'etml-embedded-'));
    try {
      const redis = await ensureEmbeddedRedis(dataDir);
      const s3 = await ensureEmbeddedS3(dataDir, 'etml');
      expect(redis.started).toBe(true);
      expect(s3.started).toBe(true);
      const client = new Redis(redis.url);
      await client.set('kept', 'yes');
      client.disconnect();

      const again = await ensureEmbeddedRedis(dataDir);
      expect(again).toMatchObject({ started: false, pid: redis.pid, port: redis.port });
      expect((await ensureEmbeddedS3(dataDir, 'etml')).pid).toBe(s3.pid);
      expect(await embeddedStatus(dataDir)).toEqual({
        redis: { pid: redis.pid, port: redis.port },
        s3: { pid: s3.pid, port: s3.port },
      });

      expect(await stopEmbedded(dataDir)).toEqual(['redis', 's3']);
      await expect(probeTcp(redis.port)).rejects.toThrow();
      expect(await embeddedStatus(dataDir)).toEqual({ redis: undefined, s3: undefined });

      // The append-only file brings the data back on the next start.
      const restarted = await ensureEmbeddedRedis(dataDir);
      expect(restarted.started).toBe(true);
      // Same port as before, so workers holding the old URL reconnect.
      expect(restarted.port).toBe(redis.port);
      const reader = new Redis(restarted.url);
      expect(await reader.get('kept')).toBe('yes');
      reader.disconnect();
    } finally {
      await stopEmbedded(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
