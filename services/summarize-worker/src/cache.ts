import { setTimeout as sleep } from 'node:timers/promises';
import { keys } from '@etml/domain';
import { ownKeys, type RedisClient, tryLock } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { LIKELY_CAUSES, type LikelyCause } from '@etml/summarization';
import { z } from 'zod';

/** One stored summary: what the output record needs, and what it cost. */
export interface CachedSummary {
  summary: string;
  likely_cause: LikelyCause;
  source: 'llm' | 'extractive';
  model: string;
  prompt_version: string;
  usage: { promptTokens: number; completionTokens: number };
}

const Stored = z.object({
  summary: z.string().min(1),
  likely_cause: z.enum(LIKELY_CAUSES),
  source: z.enum(['llm', 'extractive']),
  model: z.string(),
  prompt_version: z.string(),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
});

export interface SummaryCacheOptions {
  /** A lock's time to live; its holder renews it while it computes, so only a dead one loses it. */
  lockTtlMs?: number;
  pollMs?: number;
  /** How long a job waits for another worker's computation before it gives up (and retries). */
  maxWaitMs?: number;
  /** Summaries kept in this process's memory. */
  memoSize?: number;
}

/**
 * Summaries addressed by content (cache/summaries/<sha256>.json in S3), computed once: when many
 * jobs need the same prompt at the same moment, one takes a Redis lock (SET NX PX) and calls the
 * LLM, and the others wait for its result instead of paying for it again. A holder that dies
 * leaves the lock to expire, and a waiter takes over. So a day costs one call per distinct
 * prompt, and a rerun costs none.
 *
 * A key's summary never changes once written, so each process also keeps the ones it has seen
 * in memory: a day's thousands of rides in the same few situations read S3 a few times, not
 * thousands. A holder marks a key done in Redis before it lets the lock go, so the next holder
 * learns that without another S3 read.
 */
export class SummaryCache {
  private readonly store: ObjectStore;
  private readonly redis: RedisClient;
  private readonly lockTtlMs: number;
  private readonly pollMs: number;
  private readonly maxWaitMs: number;
  private readonly memo = new Map<string, CachedSummary>();
  private readonly memoSize: number;

  constructor(store: ObjectStore, redis: RedisClient, options: SummaryCacheOptions = {}) {
    this.store = store;
    this.redis = redis;
    this.lockTtlMs = options.lockTtlMs ?? 30_000;
    this.pollMs = options.pollMs ?? 200;
    this.maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
    this.memoSize = options.memoSize ?? 10_000;
  }

  private remember(key: string, value: CachedSummary): CachedSummary {
    this.memo.delete(key);
    this.memo.set(key, value);
    if (this.memo.size > this.memoSize) this.memo.delete(this.memo.keys().next().value as string);
    return value;
  }

  /**
   * The stored summary, or undefined. An object that does not parse, or is not a summary, counts
   * as missing: a store without atomic writes (s3rver) can show one half-written, and the next
   * holder of the lock rewrites it whole.
   */
  async get(key: string): Promise<CachedSummary | undefined> {
    const known = this.memo.get(key);
    if (known) return known;
    try {
      const stored = Stored.safeParse(await this.store.getJsonIfExists(keys.summaryCache(key)));
      return stored.success ? this.remember(key, stored.data) : undefined;
    } catch (error) {
      if (error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  async getOrCompute(
    key: string,
    compute: () => Promise<CachedSummary>,
    signal?: AbortSignal,
  ): Promise<{ value: CachedSummary; hit: boolean }> {
    const lock = ownKeys(this.redis).summaryLock(key);
    const done = ownKeys(this.redis).summaryDone(key);
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      // A half-written object does not parse, so reading while another worker writes is safe.
      const cached = await this.get(key);
      if (cached) return { value: cached, hit: true };
      const held = await tryLock(this.redis, lock, this.lockTtlMs);
      if (held) {
        const renew = setInterval(() => {
          held.renew(this.lockTtlMs).catch(() => {});
        }, this.lockTtlMs / 3);
        try {
          // Written by the last holder between our read and our lock?
          if ((await this.redis.exists(done)) === 1) {
            const late = await this.get(key);
            if (late) return { value: late, hit: true };
          }
          const value = await compute();
          await this.store.putJson(keys.summaryCache(key), value);
          await this.redis.set(done, '1', 'PX', this.lockTtlMs);
          return { value: this.remember(key, value), hit: false };
        } finally {
          clearInterval(renew);
          await held.release();
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`waited ${this.maxWaitMs} ms for another worker's summary ${key}`);
      }
      signal?.throwIfAborted();
      await sleep(this.pollMs);
    }
  }
}
