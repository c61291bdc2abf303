import { type ClusterOptions, clusterDay, type DayPhase, type RejectedRow } from '@etml/clustering';
import { type ClusteringRecord, InputError, keys, type RideDate } from '@etml/domain';
import {
  type ClusterDayResult,
  JOBS,
  processorFor,
  WAITING_FOR_RAW,
  type WaitingForRawProgress,
} from '@etml/queues';
import type { Logger } from '@etml/runtime';
import { findRawInputs, type ObjectStore, type RawInput, rawInputPattern } from '@etml/storage';
import { DelayedError, UnrecoverableError } from 'bullmq';

export interface ClusterProcessorDeps {
  store: ObjectStore;
  cluster: Pick<ClusterOptions, 'eps' | 'minSamples' | 'maxShare'>;
  /** How long after the job was created a missing raw input is waited for. */
  rawWaitMs: number;
  log: Logger;
  /** Passes the clustered day on to the next step (load-D); returns that step's job id. */
  handOff: (date: RideDate) => Promise<{ jobId: string }>;
}

const FIRST_RECHECK_MS = 60_000;
const LONGEST_RECHECK_MS = 30 * 60_000;

/** The day's raw input: exactly one of raw/date=D/rides.{json,jsonl,csv}. */
async function findRawInput(store: ObjectStore, date: RideDate): Promise<RawInput | undefined> {
  const found = await findRawInputs(store, date);
  if (found.length > 1) {
    throw new UnrecoverableError(
      `raw/date=${date}/ holds ${found.length} inputs (${found.map(f => store.uri(f.key)).join(', ')}); keep exactly one`,
    );
  }
  return found[0];
}

/**
 * cluster-D: reads the day's raw rides from S3, quarantines invalid rows in
 * rejected/date=D/rows.jsonl, and writes every valid ride with its labels to
 * clustered/date=D/rides.jsonl, in input order. The same input always gives the same bytes, and
 * each object appears whole or not at all (a multipart upload completes atomically), so a killed
 * run is repaired by running it again.
 */
export function clusterProcessor(deps: ClusterProcessorDeps) {
  return processorFor(JOBS.clusterDay, async (job, token): Promise<ClusterDayResult> => {
    const { date } = job.data;
    const { store } = deps;

    const raw = await findRawInput(store, date);
    if (!raw) {
      const waited = Date.now() - job.timestamp;
      const where = rawInputPattern(store, date);
      if (waited >= deps.rawWaitMs) {
        throw new UnrecoverableError(
          `no raw input for ${date} after waiting ${Math.round(waited / 60_000)} min: nothing at ${where}`,
        );
      }
      // Late data is normal: check again with growing gaps, within the window. A delayed job
      // uses no attempt.
      const gap = Math.min(
        FIRST_RECHECK_MS * 2 ** Math.max(0, job.attemptsStarted - 1),
        LONGEST_RECHECK_MS,
        deps.rawWaitMs - waited,
      );
      const nextCheckAt = Date.now() + gap;
      const waiting: WaitingForRawProgress = { phase: WAITING_FOR_RAW, key: where, nextCheckAt };
      await job.updateProgress(waiting);
      await job.log(`no raw input yet at ${where}; checking again in ${Math.ceil(gap / 1000)}s`);
      await job.moveToDelayed(nextCheckAt, token);
      // An upload that landed while this job was active saw it active and left it alone
      // (etml upload promotes delayed jobs only): look once more now that it is delayed.
      if ((await findRawInputs(store, date)).length > 0) await job.promote().catch(() => {});
      throw new DelayedError();
    }

    const input = store.uri(raw.key);
    await job.log(`reading ${input} (${raw.format})`);
    // The second pass must read the very version the first pass validated.
    // S3 refuses a changed object via If-Match; servers that ignore the header (s3rver) are
    // caught by comparing ETags. Either way the attempt fails and is retried on the new version.
    let etag: string | undefined;
    const open = async () => {
      const handle = await store.openRead(raw.key, { ifMatch: etag });
      if (etag !== undefined && handle.etag !== etag) {
        handle.body.destroy();
        throw new Error(
          `${input} changed while it was being clustered (ETag ${etag} -> ${handle.etag}); retrying`,
        );
      }
      etag = handle.etag;
      return handle.body;
    };
    const progress = (phase: DayPhase, rows: number) => {
      job.updateProgress({ phase, rows }).catch(() => {});
    };
    let clustered: { bytes: number; sha256: string } | undefined;
    try {
      const summary = await clusterDay(
        { format: raw.format, name: input, open },
        {
          rejected: (rows: AsyncIterable<RejectedRow>) =>
            store.writeNdjson(keys.rejected(date), rows),
          output: async chunks => {
            clustered = await store.putStream(keys.clustered(date), chunks, 'application/x-ndjson');
          },
        },
        deps.cluster,
        progress,
      );
      const { params } = summary;
      await job.log(
        `clustered ${summary.valid} rides (${summary.rejected} rejected): ${summary.clusters} clusters, ` +
          `${summary.noise} noise, ${summary.anomalies} anomalies; eps ${params.eps}, min_samples ${params.minSamples} (${params.source})`,
      );
      if (!clustered) throw new Error(`${store.uri(keys.clustered(date))} was not written`);
      const record: ClusteringRecord = {
        input,
        rows: summary.rows,
        valid: summary.valid,
        rejected: summary.rejected,
        clusters: summary.clusters,
        noise: summary.noise,
        anomalies: summary.anomalies,
        // The engine is how, not what: it stays out of the record.
        params: {
          eps: params.eps,
          minSamples: params.minSamples,
          source: params.source,
          ...(params.maxShare === undefined
            ? {}
            : { maxShare: params.maxShare, capped: summary.capped }),
        },
        clustered: { bytes: clustered.bytes, sha256: clustered.sha256 },
      };
      await store.putJson(keys.clustering(date), record);
      const next = await deps.handOff(date);
      await job.log(`handed on to ${next.jobId}`);
      await job.updateProgress({ phase: 'done', rows: summary.rows });
      return {
        date,
        ...record,
        outputs: {
          clustered: store.uri(keys.clustered(date)),
          rejected: store.uri(keys.rejected(date)),
        },
        next: next.jobId,
      };
    } catch (error) {
      // Bad input does not get better with retries.
      if (error instanceof InputError) throw new UnrecoverableError(error.message);
      throw error;
    }
  });
}
