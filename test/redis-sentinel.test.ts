import { parseRideDate } from '@etml/domain';
import { redisCommand, startSentinelGroup, test } from '@etml/testing';
import { describe, expect } from 'vitest';
import { runEtml, s3Env, waitFor } from './helpers.ts';
import { startServicesDay } from './pipeline.ts';

const date = parseRideDate('2025-07-30');

describe('Redis Sentinel', () => {
  test('kill -9 of the primary mid-day: the sentinels promote the replica, every service follows, the day completes', {
    timeout: 240_000,
  }, async ({ s3 }) => {
    const group = await startSentinelGroup();
    // REDIS_URL is ignored: the sentinels win.
    const day = await startServicesDay(
      s3,
      { ...group.env, REDIS_URL: 'redis://127.0.0.1:9' },
      date,
    );

    await waitFor('summaries under way', 60_000, () => day.fake.count(200) >= 15);
    // The replica has everything written so far; what is written after this may be lost, as in
    // any asynchronous failover.
    expect(await redisCommand(group.primary.port, 'WAIT', 1, 5_000)).toBe(1);
    process.kill(group.primary.pid, 'SIGKILL');
    const answeredBefore = day.fake.count(200);
    await waitFor('the replica promoted', 60_000, async () =>
      (await group.masterPort()) === group.replica.port ? true : undefined,
    );

    const manifest = await day.completed(180_000);
    expect(answeredBefore).toBeLessThan(manifest.counts.anomalies);
    expect(((await redisCommand(group.replica.port, 'ROLE')) as unknown[])[0]).toBe('master');
    // Both services lost the primary and went on, on the promoted replica.
    expect(day.stderr()).toMatch(/ECONNREFUSED|Connection is closed|reconnect/i);
  });

  test('a master name the sentinels do not know: the CLI and a service exit 2 at once, naming it', {
    timeout: 60_000,
  }, async ({ s3 }) => {
    const group = await startSentinelGroup({ sentinels: 1 });
    const env = { ...s3Env(s3), ...group.env, REDIS_SENTINEL_NAME: 'nosuchmaster' };
    for (const args of [['enqueue', '--date', date], ['cluster-worker']]) {
      const result = await runEtml(args, env);
      expect(result.code, `etml ${args.join(' ')}: ${result.stderr}`).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('REDIS_SENTINEL_NAME="nosuchmaster"');
    }
  });

  test('sentinels that require a password: the master-name check signs in with REDIS_SENTINEL_PASSWORD', {
    timeout: 60_000,
  }, async ({ s3 }) => {
    const group = await startSentinelGroup({ sentinels: 1 });
    const [sentinel] = group.sentinels;
    const password = 'sentinel#pass@1';
    await redisCommand(
      sentinel?.port ?? 0,
      'ACL',
      'SETUSER',
      'default',
      'resetpass',
      `>${password}`,
    );
    await expect(redisCommand(sentinel?.port ?? 0, 'PING')).rejects.toThrow();
    const env = {
      ...s3Env(s3),
      ...group.env,
      REDIS_SENTINEL_NAME: 'nosuchmaster',
      REDIS_SENTINEL_PASSWORD: password,
    };
    // Only a sentinel that let the check in can say it does not know the name.
    const result = await runEtml(['enqueue', '--date', date], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('REDIS_SENTINEL_NAME="nosuchmaster"'),
    ]);
    expect(result.stderr).not.toContain(password);
  });
});

describe('a Redis target that cannot be used', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'a malformed REDIS_SENTINELS',
      { REDIS_SENTINELS: '127.0.0.1', REDIS_SENTINEL_NAME: 'etml' },
      /REDIS_SENTINELS must be .*host:port.*got "127\.0\.0\.1"/,
    ],
    [
      'a port out of range',
      { REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:99999' },
      /REDIS_CLUSTER_NODES must be .*got "127\.0\.0\.1:7000,127\.0\.0\.1:99999"/,
    ],
    [
      'REDIS_SENTINELS without a name',
      { REDIS_SENTINELS: '127.0.0.1:26379' },
      /REDIS_SENTINEL_NAME is required with REDIS_SENTINELS="127\.0\.0\.1:26379"/,
    ],
    [
      'a name without sentinels',
      { REDIS_SENTINEL_NAME: 'etml' },
      /REDIS_SENTINEL_NAME="etml" needs REDIS_SENTINELS/,
    ],
    [
      'a REDIS_PREFIX that is not a hash tag',
      { REDIS_PREFIX: 'etml' },
      /REDIS_PREFIX must be a Redis hash tag such as \{etml\}.*got "etml"/,
    ],
    [
      'Sentinel and Cluster at once',
      {
        REDIS_SENTINELS: '127.0.0.1:26379',
        REDIS_SENTINEL_NAME: 'etml',
        REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      },
      /REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set \("127\.0\.0\.1:26379" and "127\.0\.0\.1:7000"\)/,
    ],
  ];
  test.for(cases)('%s: one line naming it, exit 2', async ([, bad, message], { s3 }) => {
    for (const args of [['enqueue', '--date', date], ['summarize-worker']]) {
      const result = await runEtml(args, { ...s3Env(s3), ...bad });
      expect(result.code, result.stderr).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
  });
});
