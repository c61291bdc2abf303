import { keys, type Logger, type RideDate } from '@etml/domain';
import { ownKeys, type RedisClient, tryLock } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { updateLatest } from './latest.ts';
import type { DayManifest, Tally } from './manifest.ts';
import { announceDay, type WebhookOptions } from './webhook.ts';

export interface PublishDeps {
  store: ObjectStore;
  /** For the _latest.json lock, the /metrics counters and the webhook's mark. */
  redis: RedisClient;
  log: Logger;
  /** The job's own log, shown in Bull Board. */
  jobLog: (line: string) => Promise<unknown>;
  /** Posted to when a day completes; a failure to post never fails the day. */
  webhook?: WebhookOptions | undefined;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Moves output/_latest.json to this day, one day at a time across every worker. */
async function pointLatest(deps: PublishDeps, manifest: DayManifest): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const lock = await tryLock(deps.redis, ownKeys(deps.redis).latestLock, 30_000);
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
 * Publishes a day whose files are written, in this order: its manifest, the day's success
 * marker; output/_latest.json, which never moves back to an older day; the /metrics counters
 * (the work done, so a rerun counts again); and the webhook, which nothing about can fail the
 * day. A crash in between is repaired by running the load step again: each part is idempotent
 * or, for the counters, meant to count the rerun.
 */
export async function publishDay(
  deps: PublishDeps,
  manifest: DayManifest,
  tally: Tally,
): Promise<void> {
  const { store } = deps;
  const date: RideDate = manifest.date;
  await store.putJson(keys.manifest(date), manifest);
  const latest = await pointLatest(deps, manifest);
  await deps.jobLog(
    latest
      ? `${store.uri(keys.latest)} now names ${date}`
      : `${store.uri(keys.latest)} names a later day; left as it is`,
  );
  const { metrics } = ownKeys(deps.redis);
  await deps.redis
    .multi()
    .hincrby(metrics, 'days_loaded', 1)
    .hincrby(metrics, 'rides', tally.rides)
    .hincrby(metrics, 'anomalies', tally.anomalies)
    .hincrby(metrics, 'llm_calls', tally.calls)
    .hincrby(metrics, 'cache_hits', tally.cacheHits)
    .hincrby(metrics, 'prompt_tokens', tally.promptTokens)
    .hincrby(metrics, 'completion_tokens', tally.completionTokens)
    .exec();
  if (deps.webhook) {
    await announceDay(
      deps.webhook,
      { redis: deps.redis, store, log: deps.log, jobLog: deps.jobLog },
      manifest,
    ).catch((error: Error) => deps.log.warn('webhook skipped', { date, error: error.message }));
  }
}
