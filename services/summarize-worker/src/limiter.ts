import type { Redis } from 'ioredis';

/**
 * Takes a slot if the provider has not asked everyone to wait (KEYS[2]) and fewer than max calls started within the window, by Redis's clock so every
 * machine agrees. Returns 0, or how long until the oldest call leaves the window.
 */
const ACQUIRE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window * 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
`;

/** Moves a call's slot to now, if it is still there. */
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
return 0
`;

export interface RequestLimiterOptions {
  key: string;
  max: number;
  windowMs?: number;
}

/**
 * A request limit shared by every process, counted in a sliding window as OpenAI counts it.
 * BullMQ's own limiter is a fixed window, which lets up to twice its max start across a window
 * boundary; this one cannot. A slot is dated twice: when the call starts, and again when its
 * answer (or error) arrives, because the provider saw the request somewhere in between. So a
 * slow call keeps its slot longer, and no 61st request can reach a 60-per-minute provider early.
 */
export class RequestLimiter {
  readonly max: number;
  readonly windowMs: number;
  private readonly redis: Redis;
  private readonly key: string;
  private counter = 0;
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(redis: Redis, options: RequestLimiterOptions) {
    this.redis = redis;
    this.key = options.key;
    this.max = options.max;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /**
   * No slot for anyone for `ms`: a 429 is honoured by every process, including jobs already
   * running, not only by the queue's next fetch. A longer pause already set is kept.
   */
  async pause(ms: number): Promise<void> {
    const left = await this.redis.pttl(this.pauseKey);
    if (ms > left) await this.redis.set(this.pauseKey, '1', 'PX', Math.max(1, Math.round(ms)));
  }

  private get pauseKey(): string {
    return `${this.key}:paused`;
  }

  /** Runs `call` in a slot, or returns how long to wait (ms) before a slot may be free. */
  async run<T>(
    call: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; waitMs: number }> {
    const slot = `${this.id}-${this.counter++}`;
    const waitMs = Number(
      await this.redis.eval(ACQUIRE, 2, this.key, this.pauseKey, this.max, this.windowMs, slot),
    );
    if (waitMs > 0) return { ok: false, waitMs };
    try {
      return { ok: true, value: await call() };
    } finally {
      await this.redis.eval(SETTLE, 1, this.key, slot);
    }
  }
}
