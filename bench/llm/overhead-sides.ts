/**
 * `pnpm bench:llm` part 2's sides, each run once: a day through our services, as many no-op
 * jobs through BullMQ alone, and S3 alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { NotFoundError, type RideDate } from '@etml/domain';
import { queueOptions } from '@etml/queues';
import type { ObjectStore } from '@etml/storage';
import type { FakeLlm } from '@etml/testing/fake-llm';
import { Queue } from 'bullmq';
import { BENCH_DATE } from '../lib.ts';
import type { Infra } from '../services.ts';
import type { CpuSampler } from './cpu.ts';
import { jobTimes, runDay, span } from './day.ts';
import { type DayKind, JOB_CONCURRENCY, SUMMARIZE_WORKERS } from './options.ts';
import { problems } from './problems.ts';

export const RAW_WORKER = fileURLToPath(new URL('../raw-worker.ts', import.meta.url));
export const RAW_QUEUE = 'bench-raw';

export interface Ours {
  date: RideDate;
  summaries: number;
  prompts: number;
  calls: number;
  fanOut: number;
  /** The summarize phase, epoch ms. */
  phaseFrom: number;
  phaseTo: number;
  phase: number;
  fanIn: number;
  loadD: number;
  cpu: { label: string; cpu: number }[];
  /** CPU seconds other processes on the machine used meanwhile. */
  other: number;
}

export interface Raw {
  jobs: number;
  total: number;
  processing: number;
  cpu: { label: string; cpu: number }[];
  /** CPU seconds other processes on the machine used meanwhile. */
  other: number;
}

export async function oursOnce(
  infra: Infra,
  date: RideDate,
  sampler: CpuSampler,
  fake: FakeLlm,
  kind: DayKind,
): Promise<Ours> {
  const before = fake.requests.length;
  const day = await runDay(infra, date, 10 * 60_000, () => sampler.sample());
  sampler.sample();
  const c = day.children;
  const calls = fake.requests.length - before;
  if (day.failed > 0 || (kind === 'distinct' && day.result.llm.cache_hits > 0)) {
    problems.push(
      `overhead ${date}: ${day.failed} failed summaries, ${day.result.llm.cache_hits} cache hits`,
    );
  }
  return {
    date,
    summaries: day.summarized + day.failed,
    prompts: day.prompts,
    calls,
    fanOut: (c.lastAdded - day.clusterFinished) / 1_000,
    phaseFrom: c.firstProcessed,
    phaseTo: c.lastFinished,
    phase: (c.lastFinished - c.firstProcessed) / 1_000,
    fanIn: (day.loadFinished - c.lastFinished) / 1_000,
    loadD: (day.loadFinished - day.clusterFinished) / 1_000,
    cpu: sampler.between(c.firstProcessed, c.lastFinished),
    other: sampler.otherBetween(c.firstProcessed, c.lastFinished),
  };
}

export async function rawOnce(
  infra: Infra,
  run: number,
  jobs: number,
  sampler: CpuSampler,
): Promise<Raw> {
  const queue = new Queue(RAW_QUEUE, queueOptions(infra.connection));
  try {
    const done = await queue.getCompletedCount();
    const ids = Array.from({ length: jobs }, (_, i) => `raw-${run}-${i}`);
    sampler.sample();
    const started = Date.now();
    for (let start = 0; start < jobs; start += 1_000) {
      await queue.addBulk(
        ids.slice(start, start + 1_000).map(jobId => ({
          name: 'noop',
          // The size of a summarize job's payload: a date, a ride id and a sha256.
          data: { date: BENCH_DATE, rideId: jobId, prompt: 'f'.repeat(64) },
          opts: { jobId },
        })),
      );
    }
    const deadline = Date.now() + 10 * 60_000;
    while ((await queue.getCompletedCount()) < done + jobs) {
      sampler.sample();
      if ((await queue.getFailedCount()) > 0) throw new Error('a no-op job failed');
      if (Date.now() > deadline) throw new Error(`raw run ${run}: not done after 10 min`);
      await sleep(200);
    }
    sampler.sample();
    const times = span(
      await jobTimes(
        infra.connection,
        ids.map(id => `${queue.qualifiedName}:${id}`),
      ),
    );
    return {
      jobs,
      total: (times.lastFinished - started) / 1_000,
      processing: (times.lastFinished - times.firstProcessed) / 1_000,
      cpu: sampler.between(started, times.lastFinished),
      other: sampler.otherBetween(started, times.lastFinished),
    };
  } finally {
    await queue.close();
  }
}

/**
 * What S3 alone costs per summary: the requests SummaryCache makes for a new prompt, a GET of
 * the cache key (a miss) and the PUT of the summary. Keep in step with services/summarize-worker.
 */
export async function s3Alone(store: ObjectStore, n: number, sampler: CpuSampler) {
  const value = {
    summary:
      'The ride was anomalous (long_distance). Heavy traffic on the ring road after a crash.',
    likely_cause: 'traffic_incident',
    source: 'llm',
    model: 'gpt-4o-mini',
    prompt_version: 'bench',
    usage: { promptTokens: 180, completionTokens: 40 },
  };
  const miss = async (key: string) => {
    try {
      await store.getJson(key);
      throw new Error(`${key} exists`);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  };
  let next = 0;
  const one = async () => {
    for (let i = next++; i < n; i = next++) {
      const key = `bench/s3-alone/${i}.json`;
      await miss(key);
      await store.putJson(key, value);
    }
  };
  sampler.sample();
  const started = Date.now();
  const timer = setInterval(() => sampler.sample(), 200);
  await Promise.all(Array.from({ length: SUMMARIZE_WORKERS * JOB_CONCURRENCY }, one));
  clearInterval(timer);
  const ended = Date.now();
  sampler.sample();
  return {
    seconds: (ended - started) / 1_000,
    cpu: sampler.between(started, ended),
    other: sampler.otherBetween(started, ended),
  };
}
