/**
 * `pnpm bench:obs`: one day under one configuration. The services start fresh with the
 * configuration's environment, `etml run` enqueues the day and follows it to its manifest, then
 * the services stop (so the span exporter flushes) and what they wrote is counted.
 */
import { keys, type RideDate } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { jobIds, QUEUES, queueOptions } from '@etml/queues';
import type { FakeLlm } from '@etml/testing/fake-llm';
import { Queue } from 'bullmq';
import { run } from '../lib.ts';
import { CpuSampler } from '../llm/cpu.ts';
import { SUMMARIZE_WORKERS } from '../llm/options.ts';
import {
  childEnv,
  cleanUp,
  cleanups,
  ETML,
  etmlService,
  type Infra,
  jsonLine,
  lastLines,
  logLevel,
  logLines,
  startProcs,
  tail,
} from '../services.ts';
import type { OtlpReceiver } from './otlp-receiver.ts';

export interface Config {
  name: 'off' | 'on';
  env: Record<string, string>;
}

export interface DayRun {
  config: Config['name'];
  date: RideDate;
  anomalies: number;
  summaries: { llm: number; extractive: number; failed: number };
  llmRequests: number;
  /** cluster-D added → load-D completed, the manifest being load-D's last write (seconds). */
  endToEnd: number;
  /** `etml run`, spawn to exit (seconds): the same plus the CLI's start and its polling. */
  cli: number;
  /** CPU seconds of the cluster-worker and summarize-workers over the end-to-end interval. */
  servicesCpu: number;
  /** The machine's CPU seconds outside the benchmark's processes, `etml run` included. */
  otherCpu: number;
  /** What the services wrote on standard output and error, start to stop. */
  logLines: number;
  logBytes: number;
  jsonLines: number;
  errorLines: string[];
  spans: number;
  otlpRequests: number;
  otlpBytes: number;
  otlpUncounted: number;
  exits: string[];
}

async function jobTimesOf(infra: Infra, date: RideDate) {
  const cluster = new Queue(QUEUES.cluster, queueOptions(infra.connection));
  const load = new Queue(QUEUES.load, queueOptions(infra.connection));
  try {
    const clusterJob = await cluster.getJob(jobIds.clusterDay(date));
    const loadJob = await load.getJob(jobIds.loadDay(date));
    return {
      enqueued: clusterJob?.timestamp ?? Number.NaN,
      finished: loadJob?.finishedOn ?? Number.NaN,
    };
  } finally {
    await Promise.all([cluster.close(), load.close()]);
  }
}

export async function runConfigDay(
  infra: Infra,
  config: Config,
  date: RideDate,
  fake: FakeLlm,
  receiver: OtlpReceiver,
): Promise<DayRun> {
  const env = { ...infra.env, ...config.env };
  const keep = cleanups.length;
  const clusterWorker = etmlService('cluster-worker', `cluster-worker (${config.name})`, env);
  const summarizers = Array.from({ length: SUMMARIZE_WORKERS }, (_, i) =>
    etmlService('summarize-worker', `summarize-worker ${i + 1} (${config.name})`, env),
  );
  const procs = [clusterWorker, ...summarizers];
  const exitsBefore = infra.exits.length;
  const otlpBefore = receiver.counts();
  const llmBefore = fake.requests.length;
  await startProcs(infra, procs);
  const sampler = new CpuSampler([
    { label: 'services', pids: procs.map(p => p.pid) },
    { label: 'redis-server', pids: [infra.redisPid] },
    { label: 's3rver', pids: [infra.s3Pid] },
    { label: 'bench process', pids: [] },
  ]);
  sampler.sample();
  const timer = setInterval(() => sampler.sample(), 500);
  const cli = await run(ETML, ['run', '--date', date, '--timeout-minutes', '30'], childEnv(env));
  clearInterval(timer);
  sampler.sample();
  if (cli.code !== 0) {
    throw new Error(
      `etml run --date ${date} (${config.name}) exited ${cli.code}:\n${tail(cli.stderr)}\n` +
        procs.map(p => `--- ${p.label} (pid ${p.pid}):\n${lastLines(p)}`).join('\n'),
    );
  }
  const { enqueued, finished } = await jobTimesOf(infra, date);
  const manifest = await infra.store.getJson<DayManifest>(keys.manifest(date));
  // Stopped before counting: the exporter sends its last batch at shutdown.
  await cleanUp(keep);
  const otlp = receiver.counts();
  const lines = procs.flatMap(logLines);
  return {
    config: config.name,
    date,
    anomalies: manifest.counts.anomalies,
    summaries: manifest.counts.summaries_by_source,
    llmRequests: fake.requests.length - llmBefore,
    endToEnd: (finished - enqueued) / 1_000,
    cli: cli.wall,
    servicesCpu: sampler.between(enqueued, finished)[0]?.cpu ?? Number.NaN,
    otherCpu: sampler.otherBetween(enqueued, finished),
    logLines: lines.length,
    logBytes: procs.reduce(
      (sum, p) => sum + Buffer.byteLength(p.stdout()) + Buffer.byteLength(p.stderr()),
      0,
    ),
    jsonLines: lines.filter(line => jsonLine(line) !== undefined).length,
    errorLines: lines.filter(line => logLevel(line) === 'error'),
    spans: otlp.spans - otlpBefore.spans,
    otlpRequests: otlp.requests - otlpBefore.requests,
    otlpBytes: otlp.bytes - otlpBefore.bytes,
    otlpUncounted: otlp.uncounted - otlpBefore.uncounted,
    exits: infra.exits.slice(exitsBefore),
  };
}
