import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { keys, NotFoundError } from '@etml/domain';
import type { ObjectStore } from '@etml/storage';
import type { LikelyCause } from '@etml/summarization';
import type { Redis } from 'ioredis';

/** One stored summary: what the output record needs, and what it cost. */
export interface CachedSummary {
  summary: string;
  likely_cause: LikelyCause;
  source: 'llm' | 'extractive';
  model: string;
  prompt_version: string;
  usage: { promptTokens: number; completionTokens: number };
}

export interface SummaryCacheOptions {
  /** How long one process may hold a key's lock while it calls the LLM. */
  lockTtlMs?: number;
  pollMs?: number;
}

// Deletes the lock only if it is still ours: an expired lock may belong to someone else by now.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Summaries addressed by content (cache/summaries/<sha256>.json in S3), computed once: when many
 * jobs need the same prompt at the same moment, one takes a Redis lock (SET NX PX) and calls the
 * LLM, and the others wait for its result instead of paying for it again. A holder that dies
 * leaves the lock to expire, and a waiter takes over. So a day costs one call per distinct
 * prompt, and a rerun costs none.
 */
export class SummaryCache {
  private readonly store: ObjectStore;
  private readonly redis: Redis;
  private readonly lockTtlMs: number;
  private readonly pollMs: number;

  constructor(store: ObjectStore, redis: Redis, options: SummaryCacheOptions = {}) {
    this.store = store;
    this.redis = redis;
    this.lockTtlMs = options.lockTtlMs ?? 120_000;
    this.pollMs = options.pollMs ?? 200;
  }

  /**
   * The stored summary, or undefined. An object that does not parse counts as missing: a store
   * without atomic writes (s3rver) can show one half-written, and the next holder of the lock
   * rewrites it whole.
   */
  async get(key: string): Promise<CachedSummary | undefined> {
    try {
      return await this.store.getJson<CachedSummary>(keys.summaryCache(key));
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  async getOrCompute(
    key: string,
    compute: () => Promise<CachedSummary>,
    signal?: AbortSignal,
  ): Promise<{ value: CachedSummary; hit: boolean }> {
    const lock = `etml:summary-lock:${key}`;
    const deadline = Date.now() + 2 * this.lockTtlMs;
    for (;;) {
      // A half-written object does not parse, so reading while another worker writes is safe.
      const cached = await this.get(key);
      if (cached) return { value: cached, hit: true };
      const token = randomUUID();
      if ((await this.redis.set(lock, token, 'PX', this.lockTtlMs, 'NX')) === 'OK') {
        try {
          // Written by the last holder between our read and our lock?
          const late = await this.get(key);
          if (late) return { value: late, hit: true };
          const value = await compute();
          await this.store.putJson(keys.summaryCache(key), value);
          return { value, hit: false };
        } finally {
          await this.redis.eval(RELEASE, 1, lock, token);
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`waited ${2 * this.lockTtlMs} ms for another worker's summary ${key}`);
      }
      signal?.throwIfAborted();
      await sleep(this.pollMs);
    }
  }
}
