import { ownKeys, type RedisClient } from '@etml/runtime';
import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { dayLate, type FreshnessOptions, lastCompleteDay } from './freshness.ts';

const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'completed',
  'failed',
  'waiting-children',
  'prioritized',
] as const;

/** The pipeline's totals, fields of the Redis hash the load step adds to. */
const PIPELINE_TOTALS = [
  ['days_loaded', 'Days whose outputs and manifest were written'],
  ['rides', 'Rides loaded'],
  ['anomalies', 'Anomalous rides loaded'],
  ['llm_calls', 'LLM requests that produced a summary'],
  ['cache_hits', 'Summaries served from the cache'],
  ['prompt_tokens', 'LLM prompt tokens'],
  ['completion_tokens', 'LLM completion tokens'],
] as const;

/**
 * The board's registry, one per board: its process metrics, and gauges and counters read at
 * scrape time from where the truth is (BullMQ's job counts, the pipeline's totals in Redis, the
 * outputs in S3), so any number of boards report the same values.
 */
export function boardMetrics(options: {
  queues: Queue[];
  redis: RedisClient;
  freshness?: FreshnessOptions | undefined;
}): Registry {
  const { queues, redis, freshness } = options;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'etml_queue_jobs',
    help: 'Jobs in each queue, by state.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
      }
    },
  });
  for (const [field, help] of PIPELINE_TOTALS) {
    new Counter({
      name: `etml_${field}_total`,
      help: `${help}.`,
      registers,
      async collect() {
        const total = Number((await redis.hget(ownKeys(redis).metrics, field)) ?? 0);
        this.reset();
        this.inc(total);
      },
    });
  }
  if (freshness) {
    new Gauge({
      name: 'etml_last_complete_day',
      help: 'The newest day with a manifest, as the Unix time of its midnight UTC.',
      registers,
      async collect() {
        this.set(await lastCompleteDay(freshness));
      },
    });
    new Gauge({
      name: 'etml_day_late',
      help: "1 when today's REPORT_DEADLINE passed without yesterday's manifest.",
      registers,
      async collect() {
        this.set((await dayLate(freshness)) ? 1 : 0);
      },
    });
  }
  return registry;
}
