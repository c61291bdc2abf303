import {
  appendSummary,
  ClusteringRecord,
  keys,
  NO_SUMMARY,
  type RideDate,
  readVerdict,
  redisKeys,
  type Summary,
} from '@etml/domain';
import {
  type DayManifest,
  manifestOf,
  reportContextOf,
  type Tally,
  updateLatest,
  writeDayOutputs,
} from '@etml/outputs';
import { JOBS, jobIds, type LoadDayResult, processorFor, type SummarizeResult } from '@etml/queues';
import { type Logger, tryLock } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { PromptInput } from '@etml/summarization';
import { estimateCostUsd, PROMPT_VERSION } from '@etml/summarization';
import { Job, type Queue, WaitingChildrenError } from 'bullmq';
import type { Redis } from 'ioredis';
import { promptId, promptInputOf, writeDayPrompts } from './prompts.ts';
import { announceDay, type WebhookOptions } from './webhook.ts';

export interface LoadDeps {
  store: ObjectStore;
  /** Where the children go; the parent lives in the load queue. */
  summarizeQueue: Queue;
  /** The connection under summarizeQueue, to look children up in bulk. */
  redis: Redis;
  /** The model (or extractive rules) the summaries come from, for the manifest. */
  model: string;
  codeVersion: { version: string; commit: string | null };
  log: Logger;
  /** Tries per summary, and the first backoff; the catalog's defaults otherwise. */
  retry?: { attempts: number; backoffMs: number } | undefined;
  /** Posted to when a day completes; a failure to post never fails the day. */
  webhook?: WebhookOptions | undefined;
}

/** Children added per round trip. */
const CHILDREN_PER_ROUND_TRIP = 1_000;

/** The day's clustering record; without one there is nothing to load yet. */
async function readClustering(store: ObjectStore, date: RideDate): Promise<ClusteringRecord> {
  const key = keys.clustering(date);
  const record = await store.getJsonIfExists(key);
  if (record === undefined) {
    throw new Error(`${store.uri(key)} does not exist: cluster-${date} has not finished`);
  }
  return ClusteringRecord.parse(record);
}

/**
 * The clustered rides' lines, checked against the clustering record's sha256 when the last one
 * is read: a day clustered again meanwhile makes the reader throw, and the job retries.
 */
async function* clusteredLines(
  store: ObjectStore,
  date: RideDate,
  clustering: ClusteringRecord,
): AsyncGenerator<string> {
  const lines = store.readLines(keys.clustered(date), { sha256: clustering.clustered.sha256 });
  for await (const line of lines) if (line !== '') yield line;
}

/**
 * Which of these children belong to this parent already (pending, done or failed). Others are
 * new, or left by an earlier load-D removed without its children.
 */
async function ownChildren(
  redis: Redis,
  parentKey: string,
  childKeys: string[],
): Promise<{ own: boolean; exists: boolean }[]> {
  const query = redis.pipeline();
  for (const child of childKeys) {
    query.sismember(`${parentKey}:dependencies`, child);
    query.hexists(`${parentKey}:processed`, child);
    query.hexists(`${parentKey}:failed`, child);
    query.exists(child);
  }
  const replies = ((await query.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value === 1;
  });
  return childKeys.map((_, i) => ({
    own: replies[4 * i] === true || replies[4 * i + 1] === true || replies[4 * i + 2] === true,
    exists: replies[4 * i + 3] === true,
  }));
}

/**
 * Fan-out: one summarize child per anomalous ride. The parent adds its own children, in batches,
 * while it holds its lock, and only then waits for them: a parent added before all of its
 * children could be released as soon as the first batch finished. The day's distinct prompt
 * inputs go to one file, so each child's payload is just a date, a ride id and a prompt id.
 *
 * After a crash the fan-out runs again. Children already attached to this parent are left
 * alone: re-adding one that failed would make it a pending dependency again and hold the parent
 * forever. A failed child left by an earlier load-D is removed first, then added afresh.
 */
async function fanOut(
  job: Job<unknown, LoadDayResult>,
  date: RideDate,
  clustering: ClusteringRecord,
  deps: LoadDeps,
): Promise<number> {
  const { store, summarizeQueue } = deps;
  const children: { rideId: string | number; prompt: string }[] = [];
  const inputs = new Map<string, PromptInput>();
  for await (const line of clusteredLines(store, date, clustering)) {
    if (!readVerdict(line).anomaly) continue;
    const ride = JSON.parse(line) as Record<string, unknown> & { ride_id: string | number };
    const input = promptInputOf(ride);
    const id = promptId(input);
    inputs.set(id, input);
    children.push({ rideId: ride.ride_id, prompt: id });
  }
  await writeDayPrompts(store, date, inputs);
  await job.log(
    `fan-out: ${children.length} anomalous rides, ${inputs.size} distinct prompts (${store.uri(keys.prompts(date))})`,
  );

  const spec = JOBS.summarizeRide;
  const options = {
    ...spec.options,
    ...(deps.retry
      ? {
          attempts: deps.retry.attempts,
          backoff: { ...spec.options.backoff, delay: deps.retry.backoffMs },
        }
      : {}),
  };
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  const parentKey = `${job.queueQualifiedName}:${job.id}`;
  let added = 0;
  for (let start = 0; start < children.length; start += CHILDREN_PER_ROUND_TRIP) {
    const batch = children.slice(start, start + CHILDREN_PER_ROUND_TRIP).map(child => {
      const data = { date, rideId: child.rideId, prompt: child.prompt };
      return { data, jobId: spec.jobId(data) };
    });
    const found = await ownChildren(
      deps.redis,
      parentKey,
      batch.map(({ jobId }) => `${summarizeQueue.qualifiedName}:${jobId}`),
    );
    const missing = batch.filter((_, i) => !found[i]?.own);
    for (const [i, child] of batch.entries()) {
      if (found[i]?.own || !found[i]?.exists) continue;
      const orphan = await Job.fromId(summarizeQueue, child.jobId);
      if (orphan && (await orphan.getState()) === 'failed') await orphan.remove();
    }
    await summarizeQueue.addBulk(
      missing.map(({ data, jobId }) => ({
        name: spec.name,
        data,
        opts: { ...options, jobId, parent },
      })),
    );
    added += missing.length;
    await job.updateProgress({
      phase: 'fan-out',
      children: start + batch.length,
      of: children.length,
    });
  }
  return added;
}

/**
 * Fan-in: every clustered ride, in input order, with its summary fields, to
 * output/date=D/rides.jsonl; from it rides.parquet and report.html; then the manifest, as the
 * day's success marker, and output/_latest.json last. (The previous manifest went at the
 * fan-out, so a day being rewritten never shows a manifest that does not match its files.)
 */
async function fanIn(
  job: Job<unknown, LoadDayResult>,
  date: RideDate,
  clustering: ClusteringRecord,
  deps: LoadDeps,
): Promise<LoadDayResult> {
  const { store, summarizeQueue } = deps;
  const values = await job.getChildrenValues<SummarizeResult>();
  const failures = await job.getIgnoredChildrenFailures();
  const childKey = (rideId: string | number) =>
    `${summarizeQueue.qualifiedName}:${jobIds.summarizeRide(date, rideId)}`;
  const tally: Tally = {
    rides: 0,
    anomalies: 0,
    byReason: {},
    bySource: { llm: 0, extractive: 0, failed: 0 },
    calls: 0,
    cacheHits: 0,
    promptTokens: 0,
    completionTokens: 0,
    failed: [],
  };

  async function* lines(): AsyncGenerator<string> {
    let batch = '';
    for await (const line of clusteredLines(store, date, clustering)) {
      tally.rides += 1;
      let summary: Summary;
      if (!readVerdict(line).anomaly) {
        summary = NO_SUMMARY;
      } else {
        const ride = JSON.parse(line) as { ride_id: string | number; anomaly_reasons: string[] };
        tally.anomalies += 1;
        for (const reason of ride.anomaly_reasons) {
          tally.byReason[reason] = (tally.byReason[reason] ?? 0) + 1;
        }
        const key = childKey(ride.ride_id);
        const value = values[key];
        if (value) {
          tally.bySource[value.source] += 1;
          if (value.cached) tally.cacheHits += 1;
          else if (value.source === 'llm') tally.calls += 1;
          tally.promptTokens += value.tokens.prompt;
          tally.completionTokens += value.tokens.completion;
          summary = {
            summary: value.summary,
            summary_source: value.source,
            likely_cause: value.likely_cause,
            summary_error: null,
          };
        } else {
          const reason = failures[key] ?? 'no summary was recorded for this ride';
          tally.bySource.failed += 1;
          if (tally.failed.length < 100) tally.failed.push({ ride_id: ride.ride_id, reason });
          summary = {
            summary: null,
            summary_source: 'failed',
            likely_cause: null,
            summary_error: reason,
          };
        }
      }
      batch += `${appendSummary(line, summary)}\n`;
      if (batch.length >= 1 << 16) {
        yield batch;
        batch = '';
        if (tally.rides % 100_000 < 200) {
          await job.updateProgress({ phase: 'writing', rows: tally.rides });
        }
      }
    }
    if (batch) yield batch;
  }

  const rides = await store.putStream(
    keys.output(date, 'rides.jsonl'),
    lines(),
    'application/x-ndjson',
  );
  const manifest = manifestOf({
    date,
    cluster: clustering,
    tally,
    model: deps.model,
    promptVersion: PROMPT_VERSION,
    costUsd: estimateCostUsd(deps.model, tally),
    codeVersion: deps.codeVersion,
    files: {},
    inputs: {
      clustered: store.uri(keys.clustered(date)),
      rejected: store.uri(keys.rejected(date)),
      prompts: store.uri(keys.prompts(date)),
      clustering: store.uri(keys.clustering(date)),
    },
  });
  await job.updateProgress({ phase: 'parquet and report', rows: tally.rides });
  const { parquet, report } = await writeDayOutputs(store, date, rides, reportContextOf(manifest), {
    createdBy: `ride-anomaly-etml ${deps.codeVersion.version}`,
  });
  for (const written of [rides, parquet, report]) {
    manifest.files[written.key.slice(keys.outputPrefix(date).length)] = {
      key: store.uri(written.key),
      bytes: written.bytes,
      sha256: written.sha256,
    };
  }
  await store.putJson(keys.manifest(date), manifest);
  const latest = await pointLatest(deps, manifest);
  await job.log(
    latest
      ? `${store.uri(keys.latest)} now names ${date}`
      : `${store.uri(keys.latest)} names a later day; left as it is`,
  );
  // Counters for /metrics: the work done, so a rerun counts again.
  await deps.redis
    .multi()
    .hincrby(redisKeys.metrics, 'days_loaded', 1)
    .hincrby(redisKeys.metrics, 'rides', tally.rides)
    .hincrby(redisKeys.metrics, 'anomalies', tally.anomalies)
    .hincrby(redisKeys.metrics, 'llm_calls', tally.calls)
    .hincrby(redisKeys.metrics, 'cache_hits', tally.cacheHits)
    .hincrby(redisKeys.metrics, 'prompt_tokens', tally.promptTokens)
    .hincrby(redisKeys.metrics, 'completion_tokens', tally.completionTokens)
    .exec();
  await job.log(
    `loaded ${tally.rides} rides: ${tally.anomalies} anomalies; summaries ${JSON.stringify(tally.bySource)}; ` +
      `${tally.calls} LLM calls, ${tally.cacheHits} cache hits`,
  );
  if (deps.webhook) {
    // The day is complete already: nothing about the announcement may fail it.
    await announceDay(
      deps.webhook,
      { redis: deps.redis, store, log: deps.log, jobLog: line => job.log(line) },
      manifest,
    ).catch((error: Error) => deps.log.warn('webhook skipped', { date, error: error.message }));
  }
  return {
    date,
    outputs: {
      rides: store.uri(keys.output(date, 'rides.jsonl')),
      parquet: store.uri(keys.output(date, 'rides.parquet')),
      report: store.uri(keys.output(date, 'report.html')),
      manifest: store.uri(keys.manifest(date)),
    },
    counts: manifest.counts,
    llm: manifest.llm,
  };
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Moves output/_latest.json to this day, one day at a time across every worker. */
async function pointLatest(deps: LoadDeps, manifest: DayManifest): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const lock = await tryLock(deps.redis, redisKeys.latestLock, 30_000);
    if (lock) {
      try {
        return await updateLatest(deps.store, manifest);
      } finally {
        await lock.release();
      }
    }
    if (Date.now() > deadline) throw new Error('output/_latest.json stayed locked for 60 s');
    await sleep(100);
  }
}

/**
 * load-D: the fan-out of the day's summaries, then, when they are all done, the fan-in. A day
 * clustered again since the fan-out (forced, or retried from the board) is fanned out again
 * before anything is written, so the outputs always match one clustering.
 */
export function loadProcessor(deps: LoadDeps) {
  return processorFor(JOBS.loadDay, async (job, token): Promise<LoadDayResult> => {
    const payload = job.data;
    const { date } = payload;
    const clustering = await readClustering(deps.store, date);
    if (payload.step === 'fan-out' || payload.clustered !== clustering.clustered.sha256) {
      if (payload.step === 'fan-in') {
        await job.log('the day was clustered again since the fan-out: fanning out again');
      }
      // The day is being recomputed: until the new manifest, it is not complete.
      await deps.store.delete(keys.manifest(date));
      const added = await fanOut(job, date, clustering, deps);
      deps.log.info('fan-out done', { job: job.id, children: added });
      // Persisted before waiting: when the children are done, the job runs again from the top.
      await job.updateData({ date, step: 'fan-in', clustered: clustering.clustered.sha256 });
    }
    if (await job.moveToWaitingChildren(token as string)) throw new WaitingChildrenError();
    return fanIn(job, date, clustering, deps);
  });
}
