/** `pnpm bench:llm`: a day through the queues, and what Redis kept of its jobs. */
import { setTimeout as sleep } from 'node:timers/promises';
import { keys, type RideDate } from '@etml/domain';
import type { LoadDayResult } from '@etml/queues';
import { enqueueClusterDay, jobIds, QUEUES, queueOptions } from '@etml/queues';
import { simulateRides } from '@etml/simulate';
import type { ObjectStore } from '@etml/storage';
import { type Job, Queue } from 'bullmq';
import { type Infra, lastLines, type Proc } from '../services.ts';
import type { DayKind } from './options.ts';

/** A day where every ride's news is its own, so every anomalous ride is a distinct prompt. */
export async function uploadDistinctDay(store: ObjectStore, date: RideDate, rides: number) {
  await store.writeNdjson(
    keys.raw(date, 'jsonl'),
    (function* () {
      for (const ride of simulateRides({ date, rides, seed: 11 })) {
        yield { ...ride, news: `${ride.news} Ride reference ${ride.ride_id}.` };
      }
    })(),
  );
}

/** A simulated day as it comes (`shared`: prompts repeat), or with every prompt distinct. */
export async function uploadDay(store: ObjectStore, date: RideDate, rides: number, kind: DayKind) {
  if (kind === 'distinct') await uploadDistinctDay(store, date, rides);
  else await store.writeNdjson(keys.raw(date, 'jsonl'), simulateRides({ date, rides, seed: 11 }));
}

/** Polls until the job completes (it may not exist yet), calling `tick` on every round. */
async function finished(
  queue: Queue,
  jobId: string,
  timeoutMs: number,
  procs: readonly Proc[],
  tick: () => void,
): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    tick();
    const job = await queue.getJob(jobId);
    const state = job ? await job.getState() : 'missing';
    if (job && state === 'completed') return job;
    const workers = () =>
      procs.map(p => `--- ${p.label} (pid ${p.pid}):\n${lastLines(p)}`).join('\n');
    if (state === 'failed') throw new Error(`${jobId} failed: ${job?.failedReason}\n${workers()}`);
    if (Date.now() > deadline) {
      throw new Error(`${jobId} still ${state} after ${timeoutMs / 1_000} s\n${workers()}`);
    }
    await sleep(200);
  }
}

interface JobTimes {
  timestamp: number;
  processedOn: number;
  finishedOn: number;
}

/** timestamp, processedOn and finishedOn of these job hashes, read in pipelined batches. */
export async function jobTimes(redis: Infra['connection'], hashKeys: readonly string[]) {
  const times: JobTimes[] = [];
  for (let start = 0; start < hashKeys.length; start += 1_000) {
    const pipeline = redis.pipeline();
    for (const key of hashKeys.slice(start, start + 1_000)) {
      pipeline.hmget(key, 'timestamp', 'processedOn', 'finishedOn');
    }
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const [timestamp, processedOn, finishedOn] = (value as (string | null)[]).map(Number);
      times.push({
        timestamp: timestamp as number,
        processedOn: processedOn as number,
        finishedOn: finishedOn as number,
      });
    }
  }
  return times;
}

export function span(times: readonly JobTimes[]) {
  let firstAdded = Infinity;
  let lastAdded = -Infinity;
  let firstProcessed = Infinity;
  let lastFinished = -Infinity;
  for (const t of times) {
    firstAdded = Math.min(firstAdded, t.timestamp);
    lastAdded = Math.max(lastAdded, t.timestamp);
    firstProcessed = Math.min(firstProcessed, t.processedOn);
    lastFinished = Math.max(lastFinished, t.finishedOn);
  }
  return { firstAdded, lastAdded, firstProcessed, lastFinished };
}

async function countLines(store: ObjectStore, key: string): Promise<number> {
  let n = 0;
  for await (const line of store.readLines(key)) if (line !== '') n += 1;
  return n;
}

/** A day through the queues: enqueue cluster-D, wait for load-D. */
export async function runDay(infra: Infra, date: RideDate, timeoutMs: number, tick: () => void) {
  const clusterQueue = new Queue(QUEUES.cluster, queueOptions(infra.connection));
  const loadQueue = new Queue(QUEUES.load, queueOptions(infra.connection));
  try {
    const enqueuedAt = Date.now();
    await enqueueClusterDay(clusterQueue, date);
    const load = await finished(loadQueue, jobIds.loadDay(date), timeoutMs, infra.procs, tick);
    const cluster = await clusterQueue.getJob(jobIds.clusterDay(date));
    const result = load.returnvalue as LoadDayResult;
    const children = Object.keys(await load.getChildrenValues());
    const failures = Object.keys(await load.getIgnoredChildrenFailures());
    const times = await jobTimes(infra.connection, [...children, ...failures]);
    const prompts = await countLines(infra.store, keys.prompts(date));
    return {
      enqueuedAt,
      clusterStarted: cluster?.processedOn ?? Number.NaN,
      clusterFinished: cluster?.finishedOn ?? Number.NaN,
      loadFinished: load.finishedOn ?? Number.NaN,
      result,
      summarized: children.length,
      failed: failures.length,
      prompts,
      children: span(times),
    };
  } finally {
    await Promise.all([clusterQueue.close(), loadQueue.close()]);
  }
}
