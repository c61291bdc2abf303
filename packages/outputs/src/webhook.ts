import { keys, type Logger } from '@etml/domain';
import { ownKeys, type RedisClient } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { DayManifest } from './manifest.ts';

export interface WebhookOptions {
  url: string;
  /** Tries in all; each waits twice as long as the one before, from `backoffMs`. */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

/** The day's counts and where its report is, for a chat channel (`text`) or a program. */
export function webhookMessage(store: ObjectStore, manifest: DayManifest) {
  const { counts, date } = manifest;
  const rate = counts.valid === 0 ? 0 : (100 * counts.anomalies) / counts.valid;
  const reasons = Object.entries(counts.anomalies_by_reason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const report = store.uri(keys.output(date, 'report.html'));
  const failed = counts.summaries_by_source.failed;
  return {
    text:
      `Ride anomalies on ${date}: ${counts.anomalies} of ${counts.valid} rides (${rate.toFixed(1)}%)` +
      `${reasons ? `: ${reasons}` : ''}.` +
      `${counts.rejected ? ` ${counts.rejected} input rows rejected.` : ''}` +
      `${failed ? ` ${failed} summaries failed.` : ''}` +
      ` Report: ${report} (or: etml report --date ${date})`,
    date,
    rides: counts.valid,
    rejected: counts.rejected,
    anomalies: counts.anomalies,
    anomalies_by_reason: counts.anomalies_by_reason,
    summaries_by_source: counts.summaries_by_source,
    report,
    manifest: store.uri(keys.manifest(date)),
    parquet: store.uri(keys.output(date, 'rides.parquet')),
  };
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** 408, 429 and 5xx may pass on a later try; other answers will not. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Posts `message` as JSON to `options.url`: up to `attempts` tries, each waiting twice as long as
 * the one before, while the answer may pass later (408, 429, 5xx, no answer). The lines for the
 * job's log name the host only: webhook URLs carry secrets. Never throws for the receiver.
 */
export async function postJson(
  options: WebhookOptions,
  message: unknown,
  note: (line: string) => Promise<void>,
): Promise<{ posted: true } | { posted: false; why: string }> {
  const attempts = options.attempts ?? 4;
  const body = JSON.stringify(message);
  let why = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (response.ok) return { posted: true };
      why = `HTTP ${response.status}`;
      if (!retryable(response.status)) break;
    } catch (error) {
      const failure = error as Error & { cause?: Error };
      why = failure.cause?.message ?? failure.message;
    }
    if (attempt < attempts) {
      const waitMs = (options.backoffMs ?? 1_000) * 2 ** (attempt - 1);
      await note(`webhook: try ${attempt} of ${attempts} failed (${why}); again in ${waitMs} ms`);
      await sleep(waitMs);
    }
  }
  return { posted: false, why };
}

/**
 * Posts "the day is complete" once per day and outputs: a load-D retried after a crash, or a
 * rerun that wrote the same files, does not post again (a Redis mark holds the outputs' sha256).
 * A receiver that keeps failing is logged and given up on; it never fails the day.
 */
export async function announceDay(
  options: WebhookOptions,
  deps: { redis: RedisClient; store: ObjectStore; log: Logger; jobLog?: (line: string) => unknown },
  manifest: DayManifest,
): Promise<'posted' | 'already posted' | 'failed'> {
  const { redis, log } = deps;
  const note = async (line: string) => {
    await deps.jobLog?.(line);
  };
  const mark = ownKeys(redis).webhookPosted(manifest.date);
  const outputs = Object.values(manifest.files)
    .map(file => file.sha256)
    .join(',');
  if ((await redis.get(mark)) === outputs) return 'already posted';
  const host = new URL(options.url).host;
  const sent = await postJson(options, webhookMessage(deps.store, manifest), note);
  if (sent.posted) {
    // Posted: a failure to record it must not post again in this run.
    await redis.set(mark, outputs, 'EX', 90 * 24 * 3600).catch(() => {});
    await note(`webhook: posted to ${host}`).catch(() => {});
    return 'posted';
  }
  log.warn('webhook failed; the day is complete regardless', {
    date: manifest.date,
    host,
    why: sent.why,
  });
  await note(`webhook: gave up posting to ${host} (${sent.why}); the day is complete regardless`);
  return 'failed';
}
