import type { Redis } from 'ioredis';

/**
 * Takes a slot if the provider has not asked everyone to wait (KEYS[2]) and fewer than max calls
 * are in the window, by Redis's clock so every machine agrees. A call in flight is dated at the
 * end of its lease (now + the longest a call may take), so it counts however long it runs, and a
 * process that dies mid-call frees its slot a lease later. Returns 0, or how long to wait.
 */
const ACQUIRE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + lease)
  return 0
end
-- A slot still in flight frees a window after it ends, so at least a window from now.
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.min(tonumber(oldest[2]), now) + window - now + 1)
`;

/** Sets the pause unless a longer one is already set. */
const PAUSE = `
if tonumber(ARGV[1]) > redis.call('PTTL', KEYS[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
`;

/** Dates a finished call's slot at now: the provider saw it at the latest now. */
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
  /** The longest a call can take (its timeout), plus a margin. */
  leaseMs?: number;
}

/**
 * A request limit shared by every process, counted in a sliding window as OpenAI counts it.
 * BullMQ's own limiter is a fixed window, which lets up to twice its max start across a window
 * boundary; this one cannot. A call's slot counts from its start until a window after its
 * answer (or error) arrived, because the provider saw the request somewhere in between. So a
 * slow call keeps its slot longer, and no 61st request can reach a 60-per-minute provider early.
 */
export class RequestLimiter {
  readonly max: number;
  readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly redis: Redis;
  private readonly key: string;
  private counter = 0;
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(redis: Redis, options: RequestLimiterOptions) {
    this.redis = redis;
    this.key = options.key;
    this.max = options.max;
    this.windowMs = options.windowMs ?? 60_000;
    this.leaseMs = options.leaseMs ?? 65_000;
  }

  /**
   * No slot for anyone for `ms`: a 429 is honoured by every process, including jobs already
   * running, not only by the queue's next fetch. A longer pause already set is kept.
   */
  async pause(ms: number): Promise<void> {
    await this.redis.eval(PAUSE, 1, this.pauseKey, Math.max(1, Math.ceil(ms)));
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
      await this.redis.eval(
        ACQUIRE,
        2,
        this.key,
        this.pauseKey,
        this.max,
        this.windowMs,
        slot,
        this.leaseMs,
      ),
    );
    if (waitMs > 0) return { ok: false, waitMs };
    try {
      return { ok: true, value: await call() };
    } finally {
      await this.redis.eval(SETTLE, 1, this.key, slot);
    }
  }
}
