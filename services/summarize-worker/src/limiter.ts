import type { RedisClient } from '@etml/runtime';

/**
 * Takes a slot if the provider has not asked everyone to wait (KEYS[2]), fewer than max calls are
 * in the window, and the call's tokens fit beside those of the window's calls (when there is a
 * tokens limit), by Redis's clock so every machine agrees. A call in flight is dated at the end
 * of its lease (now + the longest a call may take), so it counts however long it runs, and a
 * process that dies mid-call frees its slot a lease later. Each slot's tokens are in a hash
 * (KEYS[3]), with their sum beside it (KEYS[4]) so a full window costs no sum per call. Returns
 * 0, or how long to wait.
 */
const ACQUIRE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
local maxTokens = tonumber(ARGV[5])
-- A call larger than the whole limit runs alone rather than never.
local need = math.min(tonumber(ARGV[6]), maxTokens)
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local freed = 0
  for _, slot in ipairs(gone) do
    freed = freed + tonumber(redis.call('HGET', KEYS[3], slot) or '0')
    redis.call('HDEL', KEYS[3], slot)
  end
  if freed > 0 then redis.call('DECRBY', KEYS[4], freed) end
end
local count = redis.call('ZCARD', KEYS[1])
local used = tonumber(redis.call('GET', KEYS[4]) or '0')
local fits = maxTokens <= 0 or used + need <= maxTokens
if count < tonumber(ARGV[1]) and fits then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  if maxTokens > 0 then
    redis.call('HSET', KEYS[3], ARGV[3], need)
    redis.call('INCRBY', KEYS[4], need)
  end
  for i = 1, 4 do
    if i ~= 2 then redis.call('PEXPIRE', KEYS[i], window + lease) end
  end
  return 0
end
-- A slot still in flight frees a window after it ends, so at least a window from now.
local wait = 1
if count >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.min(tonumber(oldest[2]), now) + window - now + 1
end
if not fits then
  -- Until enough of the oldest slots have left for this call's tokens to fit.
  local slots = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  local freed = 0
  local fitsAt = window + 1
  for i = 1, #slots, 2 do
    freed = freed + tonumber(redis.call('HGET', KEYS[3], slots[i]) or '0')
    if used - freed + need <= maxTokens then
      fitsAt = math.min(tonumber(slots[i + 1]), now) + window - now + 1
      break
    end
  end
  wait = math.max(wait, fitsAt)
end
return math.max(1, wait)
`;

/** Sets the pause unless a longer one is already set. */
const PAUSE = `
if tonumber(ARGV[1]) > redis.call('PTTL', KEYS[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
`;

/**
 * Dates a finished call's slot at now (the provider saw it at the latest now), and sets its tokens
 * to what the answer says it used, when it says (ARGV[2]; empty keeps the estimate).
 */
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if ARGV[2] ~= '' then
  local reserved = redis.call('HGET', KEYS[2], ARGV[1])
  if reserved then
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    redis.call('INCRBY', KEYS[3], tonumber(ARGV[2]) - tonumber(reserved))
  end
end
return 0
`;

export interface RequestLimiterOptions {
  key: string;
  max: number;
  /** Tokens per window, reserved per call before it starts; unset: no tokens limit. */
  maxTokens?: number | undefined;
  windowMs?: number;
  /** The longest a call can take (its timeout), plus a margin. */
  leaseMs?: number;
}

/** A call's tokens: reserved before it starts, and what it really used, once its answer says. */
export interface CallTokens<T> {
  /** The most the call may use: its prompt's estimate and the longest answer it may get. */
  estimate: number;
  /** What the answer reports it used; undefined keeps the estimate (an error, no usage). */
  used(value: T): number | undefined;
}

/**
 * A request limit shared by every process, counted in a sliding window as OpenAI counts it.
 * BullMQ's own limiter is a fixed window, which lets up to twice its max start across a window
 * boundary; this one cannot. A call's slot counts from its start until a window after its
 * answer (or error) arrived, because the provider saw the request somewhere in between. So a
 * slow call keeps its slot longer, and no 61st request can reach a 60-per-minute provider early.
 *
 * With a tokens limit, the same window also holds each call's tokens: its estimate while it runs
 * (more than it can use), then the usage its answer reports. So the window never holds fewer
 * tokens than the provider has counted, and a call starts only when its estimate fits.
 */
export class RequestLimiter {
  readonly max: number;
  readonly maxTokens: number | undefined;
  readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly redis: RedisClient;
  private readonly key: string;
  private counter = 0;
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(redis: RedisClient, options: RequestLimiterOptions) {
    this.redis = redis;
    this.key = options.key;
    this.max = options.max;
    this.maxTokens = options.maxTokens;
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

  /** Each slot's tokens, and their sum. */
  private get tokenKeys(): [string, string] {
    return [`${this.key}:tokens`, `${this.key}:tokens-used`];
  }

  /**
   * Runs `call` in a slot (holding its tokens, with a tokens limit), or returns how long to wait
   * (ms) before one may be free.
   */
  async run<T>(
    call: () => Promise<T>,
    tokens?: CallTokens<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; waitMs: number }> {
    const slot = `${this.id}-${this.counter++}`;
    const counted = this.maxTokens !== undefined && tokens !== undefined;
    const waitMs = Number(
      await this.redis.eval(
        ACQUIRE,
        4,
        this.key,
        this.pauseKey,
        ...this.tokenKeys,
        this.max,
        this.windowMs,
        slot,
        this.leaseMs,
        this.maxTokens ?? 0,
        counted ? Math.ceil(tokens.estimate) : 0,
      ),
    );
    if (waitMs > 0) return { ok: false, waitMs };
    let used: number | undefined;
    try {
      const value = await call();
      used = counted ? tokens.used(value) : undefined;
      return { ok: true, value };
    } finally {
      await this.redis.eval(
        SETTLE,
        3,
        this.key,
        ...this.tokenKeys,
        slot,
        used === undefined ? '' : Math.ceil(used),
      );
    }
  }
}
