import { setTimeout as sleep } from 'node:timers/promises';
import { redisClients, test } from '@etml/testing';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { RequestLimiter } from './limiter.ts';

describe('RequestLimiter on a real Redis', () => {
  test('three processes hammering one limit never start more than max calls in any window', async ({
    redis,
  }) => {
    const windowMs = 400;
    const limiters = redisClients(redis.url, 3).map(
      c => new RequestLimiter(c, { key: 'limit', max: 5, windowMs, leaseMs: 100 }),
    );
    const started: number[] = [];
    const deadline = Date.now() + 1_500;
    await Promise.all(
      limiters.flatMap(limiter =>
        Array.from({ length: 4 }, async () => {
          while (Date.now() < deadline) {
            const slot = await limiter.run(async () => {
              started.push(Date.now());
              await sleep(5);
            });
            if (!slot.ok) {
              expect(slot.waitMs).toBeGreaterThan(0);
              expect(slot.waitMs).toBeLessThanOrEqual(windowMs + 1);
              await sleep(Math.min(slot.waitMs, 20));
            }
          }
        }),
      ),
    );
    started.sort((a, b) => a - b);
    // Used, not starved: about 5 per window over 1.5 s.
    expect(started.length).toBeGreaterThanOrEqual(15);
    for (const [i, at] of started.entries()) {
      const inWindow = started.filter(t => t >= at && t < at + windowMs - 10).length;
      expect(inWindow, `window from call ${i}`).toBeLessThanOrEqual(5);
    }
  });

  test('a slow call keeps its slot until its answer arrives', async ({ redis }) => {
    const [client] = redisClients(redis.url, 1);
    const limiter = new RequestLimiter(client as Redis, {
      key: 'slow',
      max: 1,
      windowMs: 300,
      leaseMs: 2_000,
    });
    const slow = limiter.run(() => sleep(500));
    await sleep(350);
    // 350 ms after the start, but the provider may have seen the request just now.
    const early = await limiter.run(async () => 'early');
    expect(early.ok).toBe(false);
    // In flight: its slot frees a window after it ends, at the earliest a window from now.
    if (!early.ok) expect(early.waitMs).toBeGreaterThanOrEqual(300);
    await slow;
    await sleep(320);
    expect(await limiter.run(async () => 'late')).toEqual({ ok: true, value: 'late' });
  });

  test('the slot of a process that died mid-call is freed a lease later', async ({ redis }) => {
    const [a, b] = redisClients(redis.url, 2);
    const options = { key: 'dead', max: 1, windowMs: 200, leaseMs: 300 };
    const dying = new RequestLimiter(a as Redis, options);
    // The call never ends, as if its process had been killed.
    void dying.run(() => new Promise(() => {}));
    await sleep(50);
    const survivor = new RequestLimiter(b as Redis, options);
    const refused = await survivor.run(async () => 1);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.waitMs).toBeGreaterThanOrEqual(200);
    await sleep(250);
    expect((await survivor.run(async () => 1)).ok).toBe(false);
    await sleep(300);
    expect((await survivor.run(async () => 1)).ok).toBe(true);
  });

  test('a pause (a 429) refuses every slot for its length, and a shorter one does not cut it', async ({
    redis,
  }) => {
    const [a, b] = redisClients(redis.url, 2);
    const one = new RequestLimiter(a as Redis, { key: 'paused', max: 100 });
    const other = new RequestLimiter(b as Redis, { key: 'paused', max: 100 });
    await one.pause(600);
    await other.pause(50);
    const refused = await other.run(async () => 1);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.waitMs).toBeGreaterThan(400);
    await sleep(650);
    expect((await other.run(async () => 1)).ok).toBe(true);
  });

  test('with a tokens limit, no window ever holds more tokens than the limit, counted by what calls used', async ({
    redis,
  }) => {
    const windowMs = 400;
    const maxTokens = 1_000;
    const limiters = redisClients(redis.url, 3).map(
      c => new RequestLimiter(c, { key: 'tokens', max: 1_000, maxTokens, windowMs, leaseMs: 200 }),
    );
    const started: { at: number; used: number }[] = [];
    const deadline = Date.now() + 1_500;
    let n = 0;
    await Promise.all(
      limiters.flatMap(limiter =>
        Array.from({ length: 4 }, async () => {
          while (Date.now() < deadline) {
            // Estimates of 150 to 350 tokens; the answers use half.
            const estimate = 150 + ((n++ * 37) % 201);
            const slot = await limiter.run(
              async () => {
                const at = Date.now();
                await sleep(5);
                return { at, used: estimate / 2 };
              },
              { estimate, used: call => call.used },
            );
            if (slot.ok) started.push(slot.value);
            else await sleep(Math.min(slot.waitMs, 20));
          }
        }),
      ),
    );
    started.sort((a, b) => a.at - b.at);
    const tokensFrom = (at: number) =>
      started.filter(c => c.at >= at && c.at < at + windowMs - 10).reduce((t, c) => t + c.used, 0);
    for (const call of started) expect(tokensFrom(call.at)).toBeLessThanOrEqual(maxTokens);
    // Corrected by the answers: far more calls than the estimates alone would let through
    // (at most 4 per window, 1,000 / 250, over about 4 windows).
    expect(started.length).toBeGreaterThan(24);
  });

  test("a call's estimate is held while it runs, its usage after, and a full window says how long until enough has left", async ({
    redis,
  }) => {
    const [client] = redisClients(redis.url, 1);
    const limiter = new RequestLimiter(client as Redis, {
      key: 'estimate',
      max: 100,
      maxTokens: 1_000,
      windowMs: 500,
      leaseMs: 2_000,
    });
    const tokens = (estimate: number, used?: number) => ({ estimate, used: () => used });
    const slow = limiter.run(() => sleep(200), tokens(700, 100));
    await sleep(50);
    // 700 held while the call runs, so 400 more do not fit, for at least a window from now.
    const early = await limiter.run(async () => 'early', tokens(400));
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.waitMs).toBeGreaterThanOrEqual(500);
    await slow;
    // Its answer used 100: 100 + 800 fit.
    expect((await limiter.run(async () => 'fits', tokens(800))).ok).toBe(true);
    // An answer with no usage keeps its estimate: 100 + 800 + 100 would be over.
    const full = await limiter.run(async () => 'over', tokens(101));
    expect(full.ok).toBe(false);
    // The first call's 100 leave the window first, a window after it ended (plus the limiter's
    // 1 ms margin, all of it when no millisecond has passed since): enough for 100.
    if (!full.ok) expect(full.waitMs).toBeLessThanOrEqual(501);
    expect((await limiter.run(async () => 'fits', tokens(100))).ok).toBe(true);
    if (!full.ok) await sleep(full.waitMs + 10);
    expect((await limiter.run(async () => 'after', tokens(101))).ok).toBe(true);
  });
});
