import {
  appendSummary,
  type ClusteringRecord,
  keys,
  NO_SUMMARY,
  type RideDate,
  readVerdict,
  type Summary,
} from '@etml/domain';
import {
  type LlmPlan,
  manifestOf,
  type PublishDeps,
  publishDay,
  reportContextOf,
  sendAlert,
  summariesFailedAlert,
  type Tally,
  type WebhookOptions,
  writeDayOutputs,
} from '@etml/outputs';
import { childKey, jobIds, type LoadDayResult, type SummarizeResult } from '@etml/queues';
import type { ObjectStore } from '@etml/storage';
import { estimateCostUsd, PROMPT_VERSION } from '@etml/summarization';
import type { Job, Queue } from 'bullmq';
import { clusteredLines } from './clustered.ts';

export interface FanInDeps extends Omit<PublishDeps, 'jobLog'> {
  store: ObjectStore;
  /** Where the children ran, to find each ride's summary among the parent's children. */
  summarizeQueue: Queue;
  /** The model (or extractive rules) the summaries come from, for the manifest. */
  model: string;
  codeVersion: { version: string; commit: string | null };
  /** What the fan-out's LLM budget allowed, for the manifest. */
  plan?: LlmPlan | undefined;
  /** Where a day is announced when more than `failedSummaryShare` of its summaries failed. */
  alert?: { webhook: WebhookOptions; failedSummaryShare: number } | undefined;
}

/**
 * Fan-in: every clustered ride, in input order, with its summary fields, to
 * output/date=D/rides.jsonl; from it rides.parquet and report.html; then the day is published
 * (manifest, _latest.json, metrics, webhook). The previous manifest goes first, so a day
 * being rewritten never shows a manifest that does not match its files.
 */
export async function fanIn(
  job: Job<unknown, LoadDayResult>,
  date: RideDate,
  clustering: ClusteringRecord,
  deps: FanInDeps,
): Promise<LoadDayResult> {
  const { store, summarizeQueue } = deps;
  // From here a summary that starts has missed this fan-in's reading: it asks for a refresh.
  await job.updateProgress({ phase: 'fan-in' });
  // A rerun of the fan-in alone (a refresh, a retry) rewrites files the old manifest lists.
  await store.delete(keys.manifest(date));
  const values = await job.getChildrenValues<SummarizeResult>();
  const failures = await job.getIgnoredChildrenFailures();
  const keyOf = (rideId: string | number) =>
    childKey(summarizeQueue.qualifiedName, jobIds.summarizeRide(date, rideId));
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
        const key = keyOf(ride.ride_id);
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
    plan: deps.plan,
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
  await job.log(
    `loaded ${tally.rides} rides: ${tally.anomalies} anomalies; summaries ${JSON.stringify(tally.bySource)}; ` +
      `${tally.calls} LLM calls, ${tally.cacheHits} cache hits`,
  );
  await publishDay({ ...deps, jobLog: line => job.log(line) }, manifest, tally);
  // Each summary's own failure is a debug line: the day says it once, with the first reason.
  const [first] = tally.failed;
  if (first) {
    deps.log.warn('summaries failed', {
      date,
      failed: tally.bySource.failed,
      of: tally.anomalies,
      first: first.reason,
    });
  }
  const alert = deps.alert && summariesFailedAlert(manifest, deps.alert.failedSummaryShare);
  if (deps.alert && alert) {
    const sent = await sendAlert(deps.alert.webhook, deps, alert);
    await job.log(`failed-summaries alert: ${sent}`).catch(() => {});
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
