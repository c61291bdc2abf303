import { keys, type RideDate, readVerdict } from '@etml/domain';
import { jobIds, jobsSayDone, waitingFor } from '@etml/queues';
import { connectStore } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { Job } from 'bullmq';
import { dateFlag, parseFlags } from '../args.ts';
import type { Command } from '../command.ts';
import { describeWaiting } from '../follow.ts';
import { withQueues } from './enqueue.ts';

const when = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

async function describeJob(job: Job | undefined, id: string, tz: string): Promise<string[]> {
  if (!job) return [`${id}: not in the queue`];
  const state = await job.getState();
  const lines = [
    `${id}: ${state}${job.attemptsMade > 1 ? ` (attempts made: ${job.attemptsMade})` : ''}`,
  ];
  const finished = when(job.finishedOn);
  if (finished) lines.push(`  finished ${finished}`);
  if (state === 'failed') lines.push(`  failed: ${job.failedReason}`);
  const waiting = waitingFor(state, job.progress);
  if (waiting) lines.push(`  ${describeWaiting(waiting, tz)}`);
  return lines;
}

/** Done means a manifest in S3, whatever the jobs say: they may be left from an earlier run. */
async function manifestLine(
  store: ObjectStore,
  date: RideDate,
  jobsDone: () => Promise<boolean>,
): Promise<string> {
  const manifest = await store.getJsonIfExists<{ created_at: string }>(keys.manifest(date));
  if (manifest)
    return `${store.uri(keys.manifest(date))} (complete, written ${manifest.created_at})`;
  if (await jobsDone()) {
    return `no manifest: the day is not complete, though its jobs say done (left from an earlier run, or its outputs were deleted); etml run --date ${date} computes it again`;
  }
  return 'no manifest: the day is not complete';
}

/** Anomalies listed by `etml status`, most severe first. */
const SEVERE_SHOWN = 10;

/**
 * The day's most severe anomalies, from its clustered rides (there as soon as cluster-D is
 * done), read line by line: only the verdict's tail is parsed until a line makes the list.
 */
async function severeLines(store: ObjectStore, date: RideDate): Promise<string[]> {
  const key = keys.clustered(date);
  if (!(await store.exists(key))) return [];
  const top: { score: number; index: number; line: string }[] = [];
  let anomalies = 0;
  let index = 0;
  for await (const line of store.readLines(key)) {
    if (line === '') continue;
    index += 1;
    const verdict = readVerdict(line);
    if (!verdict.anomaly) continue;
    anomalies += 1;
    const weakest = top[top.length - 1];
    if (top.length === SEVERE_SHOWN && weakest && verdict.score <= weakest.score) continue;
    top.push({ score: verdict.score, index, line });
    top.sort((a, b) => b.score - a.score || a.index - b.index);
    if (top.length > SEVERE_SHOWN) top.pop();
  }
  if (anomalies === 0) return ['anomalies: none'];
  const out = [
    `anomalies: ${anomalies}; the ${Math.min(anomalies, SEVERE_SHOWN)} most severe (anomaly_score):`,
  ];
  for (const { line } of top) {
    const ride = JSON.parse(line) as {
      ride_id: string | number;
      ride_dist: number;
      ride_time: number;
      anomaly_score: number;
      anomaly_reasons: string[];
    };
    out.push(
      `  ${ride.anomaly_score.toFixed(2).padStart(7)}  ride ${ride.ride_id}: ` +
        `${ride.ride_dist.toFixed(2)} km in ${(ride.ride_time * 60).toFixed(1)} min (${ride.anomaly_reasons.join(', ')})`,
    );
  }
  return out;
}

/** etml status: where a day stands, step by step, with failures and outputs. */
export const statusCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('status', args, { date: { type: 'string' } });
  const date = dateFlag('status', 'date', flags.date);
  const env = getEnv();
  const store = (await connectStore(env)).value;
  const lines = await withQueues(env, async queues => {
    const out = [`ride date ${date}`];
    const clusterId = jobIds.clusterDay(date);
    out.push(
      ...(await describeJob(await queues.cluster.getJob(clusterId), clusterId, env.scheduleTz)),
    );
    const loadId = jobIds.loadDay(date);
    const load = await queues.load.getJob(loadId);
    out.push(...(await describeJob(load, loadId, env.scheduleTz)));
    if (load) {
      const counts = await load.getDependenciesCount();
      const done = counts.processed ?? 0;
      const failed = (counts.ignored ?? 0) + (counts.failed ?? 0);
      const pending = counts.unprocessed ?? 0;
      out.push(`  summaries: ${done} done, ${failed} failed, ${pending} pending`);
      const failures = Object.entries(await load.getIgnoredChildrenFailures());
      for (const [key, reason] of failures.slice(0, 10)) {
        out.push(`    ${key.slice(key.lastIndexOf(':') + 1)}: ${reason}`);
      }
      if (failures.length > 10) out.push(`    … and ${failures.length - 10} more`);
    }
    out.push(...(await severeLines(store, date)));
    const jobsDone = () => jobsSayDone(queues.cluster, queues.load, date);
    out.push(`outputs: ${await manifestLine(store, date, jobsDone)}`);
    return out;
  });
  process.stdout.write(`${lines.join('\n')}\n`);
};
