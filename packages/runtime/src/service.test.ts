import { setTimeout as sleep } from 'node:timers/promises';
import { type RedisTarget, redisClients, type S3Target, test } from '@etml/testing';
import type { Redis } from 'ioredis';
import { describe, expect, onTestFinished } from 'vitest';
import type { Infra } from './infra.ts';
import { runService } from './service.ts';

function infraFor(redis: RedisTarget, s3?: S3Target): Infra {
  return {
    redisUrl: redis.url,
    redisPrefix: undefined,
    s3: s3 && {
      bucket: s3.bucket,
      prefix: '',
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: s3.credentials,
    },
    s3Prefix: '',
    region: s3?.region,
    // Where embedded servers would keep their data: unused, since Redis and S3 are both given.
    dataDir: '/nonexistent',
  };
}

/** runService wires SIGTERM and SIGINT to process.exit: the test process must not keep that. */
function dropSignalHandlersWhenDone(): void {
  const before = new Set([...process.listeners('SIGTERM'), ...process.listeners('SIGINT')]);
  onTestFinished(() => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      for (const listener of process.listeners(signal)) {
        if (!before.has(listener)) process.off(signal, listener);
      }
    }
  });
}

/** A service on `redis` that only closes, with its log lines kept off the test's output. */
function runQuietly(redis: RedisTarget, close: () => Promise<void>) {
  dropSignalHandlersWhenDone();
  return runService(
    {
      name: 'test-service',
      loadEnv: () => ({ infra: infraFor(redis) }),
      start: async () => ({ ready: {}, close }),
    },
    {},
    () => {},
  );
}

describe('runService', () => {
  test('starts the service on its env, a reachable Redis and the store, then logs ready with its fields and wires signals', async ({
    redis,
    s3,
  }) => {
    dropSignalHandlersWhenDone();
    const events: string[] = [];
    const captured = (line: string) => events.push(`log: ${line.slice(line.indexOf(' ') + 1)}`);
    const sigtermHandlers = process.listenerCount('SIGTERM');
    const running = await runService(
      {
        name: 'test-service',
        loadEnv: source => ({ infra: infraFor(redis, s3), greeting: source.GREETING }),
        needsStore: true,
        start: async ({ env, log, redis: connected, store }) => {
          events.push(`start: ${env.greeting}`);
          const [client] = redisClients(connected.value, 1) as [Redis];
          events.push(`redis: ${await client.ping()}`);
          await store.value.putJson('hello.json', { from: 'start' });
          events.push(`store: ${JSON.stringify(await store.value.getJson('hello.json'))}`);
          events.push(`signal handlers: ${process.listenerCount('SIGTERM') - sigtermHandlers}`);
          log.info('started');
          return {
            ready: { first: 1, second: 'two words' },
            close: async () => {
              events.push('close');
              await client.quit();
            },
          };
        },
      },
      { GREETING: 'hello' },
      captured,
    );
    expect(events).toEqual([
      'start: hello',
      'redis: PONG',
      'store: {"from":"start"}',
      'signal handlers: 0',
      'log: INFO test-service started\n',
      'log: INFO test-service ready first=1 second="two words"\n',
    ]);
    expect(process.listenerCount('SIGTERM')).toBe(sigtermHandlers + 1);
    await running.close();
    expect(events.at(-1)).toBe('close');
  });

  test('connects no store for a service that does not ask for one', async ({ redis }) => {
    dropSignalHandlersWhenDone();
    let given: string[] = [];
    const running = await runService(
      {
        name: 'test-service',
        loadEnv: () => ({ infra: infraFor(redis) }),
        start: async context => {
          given = Object.keys(context);
          return { ready: {}, close: async () => {} };
        },
      },
      {},
      () => {},
    );
    await running.close();
    expect(given.sort()).toEqual(['env', 'log', 'redis']);
  });

  test('close runs the service’s close once: a concurrent call and a later one share it and wait for it to finish', async ({
    redis,
  }) => {
    let closes = 0;
    let release = () => {};
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    const [client] = redisClients(redis.url, 1) as [Redis];
    const running = await runQuietly(redis, async () => {
      closes += 1;
      await released;
      await client.quit();
    });
    const first = running.close();
    const second = running.close();
    expect(second).toBe(first);
    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    await sleep(50);
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(secondDone).toBe(true);
    await running.close();
    expect(closes).toBe(1);
  });

  test('a close that fails fails every call with its error and is not run again', async ({
    redis,
  }) => {
    let closes = 0;
    const running = await runQuietly(redis, async () => {
      closes += 1;
      throw new Error(`close ${closes} failed`);
    });
    await Promise.all([
      expect(running.close()).rejects.toThrow('close 1 failed'),
      expect(running.close()).rejects.toThrow('close 1 failed'),
    ]);
    await expect(running.close()).rejects.toThrow('close 1 failed');
    expect(closes).toBe(1);
  });
});
