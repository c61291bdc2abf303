import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addDays, keys, NotFoundError, type RideDate } from '@etml/domain';
import type { LoadDayResult } from '@etml/queues';
import { enqueueClusterDay, jobIds, QUEUES } from '@etml/queues';
import { simulateRides } from '@etml/simulate';
import type { ObjectStore } from '@etml/storage';
import { type FakeLlm, startFakeLlm } from '@etml/testing/fake-llm';
import { type Job, Queue } from 'bullmq';
import { cpuByLibrary, epochOffsetMs } from './cpu-profile.ts';
import { BENCH_DATE, count, int, machine, median, progress, seconds, table } from './lib.ts';
import {
  cleanUp,
  cleanups,
  etmlService,
  type Infra,
  type Proc,
  spawnProcess,
  startInfra,
  startProcs,
  tail,
} from './services.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const RAW_WORKER = join(HERE, 'raw-worker.ts');
const RAW_QUEUE = 'bench-raw';
const SUMMARIZE_WORKERS = 3;
/** LLM_CONCURRENCY's default, times the 4 the summarize-worker multiplies it by. */
const JOB_CONCURRENCY = 16;
const CLOCK_TICKS = 100;

const USAGE = `usage: node bench/llm.ts [options]
  --quick                 a short run: 8k-ride days, a 6 s window at 60 requests, 1 run
  --parts LIST            throughput,overhead (default: both)
  --rides N               rides in the throughput day (default 41000: about 2,000 prompts)
  --overhead-rides N      rides in each overhead day (default 41000)
  --runs K                interleaved runs of each side in part 2 (default 3)
  --overhead-days LIST    distinct,shared (default: both): every anomaly its own prompt, or a
                          simulated day as it comes (a few situations, so prompts repeat)
  --window-seconds S      throughput: the fake's and the limiter's window (default 60)
  --rpm R                 throughput: requests per window on both sides (default 600)
  --cpu-prof              overhead: profile the summarize-workers (node --cpu-prof) and show
                          which libraries their CPU time goes to; the profiler slows them`;

function readOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      parts: { type: 'string' },
      rides: { type: 'string' },
      'overhead-rides': { type: 'string' },
      runs: { type: 'string' },
      'overhead-days': { type: 'string' },
      'window-seconds': { type: 'string' },
      rpm: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick;
  const parts = new Set((values.parts ?? 'throughput,overhead').split(',').map(s => s.trim()));
  for (const part of parts) {
    if (!['throughput', 'overhead'].includes(part)) throw new Error(`unknown part: ${part}`);
  }
  const overheadDays = (values['overhead-days'] ?? 'distinct,shared').split(',').map(d => d.trim());
  for (const day of overheadDays) {
    if (day !== 'distinct' && day !== 'shared') throw new Error(`unknown overhead day: ${day}`);
  }
  return {
    quick,
    parts,
    overheadDays: overheadDays as DayKind[],
    rides: int(values.rides, quick ? 8_000 : 41_000),
    overheadRides: int(values['overhead-rides'], quick ? 8_000 : 41_000),
    runs: int(values.runs, quick ? 1 : 3),
    windowMs: int(values['window-seconds'], quick ? 6 : 60) * 1_000,
    rpm: int(values.rpm, quick ? 60 : 600),
    cpuProf: values['cpu-prof'],
  };
}

type Options = ReturnType<typeof readOptions>;

/** distinct: every anomalous ride its own prompt; shared: a simulated day as it comes. */
type DayKind = 'distinct' | 'shared';

/** A day where every ride's news is its own, so every anomalous ride is a distinct prompt. */
async function uploadDistinctDay(store: ObjectStore, date: RideDate, rides: number) {
  await store.writeNdjson(
    keys.raw(date, 'jsonl'),
    (function* () {
      for (const ride of simulateRides({ date, rides, seed: 11 })) {
        yield { ...ride, news: `${ride.news} Ride reference ${ride.ride_id}.` };
      }
    })(),
  );
}

// ---------------------------------------------------------------------------------------------
// CPU time per process, from /proc, sampled while waiting

function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, so 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds every process on the machine has used (user, nice, system, irq, softirq, steal). */
function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      CLOCK_TICKS
    );
  } catch {
    return Number.NaN;
  }
}

interface Group {
  label: string;
  pids: number[];
}

class CpuSampler {
  private readonly groups: Group[];
  private readonly samples: { at: number; cpu: number[]; machine: number }[] = [];

  constructor(groups: Group[]) {
    this.groups = groups;
  }

  sample(): void {
    const self = process.cpuUsage();
    this.samples.push({
      at: Date.now(),
      cpu: this.groups.map(g =>
        g.pids.length === 0
          ? (self.user + self.system) / 1e6
          : g.pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      ),
      machine: machineBusySeconds(),
    });
  }

  private bounds(from: number, to: number) {
    const first = [...this.samples].reverse().find(s => s.at <= from) ?? this.samples[0];
    const last = this.samples.find(s => s.at >= to) ?? this.samples.at(-1);
    return { first, last };
  }

  /** CPU seconds used by processes other than these groups (another job on the machine). */
  otherBetween(from: number, to: number): number {
    const { first, last } = this.bounds(from, to);
    if (!(first && last)) return Number.NaN;
    const ours = last.cpu.reduce((sum, c, i) => sum + c - (first.cpu[i] as number), 0);
    return last.machine - first.machine - ours;
  }

  /** CPU seconds of each group from the last sample at or before `from` to the first at or after `to`. */
  between(from: number, to: number): { label: string; cpu: number }[] {
    const { first, last } = this.bounds(from, to);
    return this.groups.map((g, i) => ({
      label: g.label,
      cpu: first && last ? (last.cpu[i] as number) - (first.cpu[i] as number) : Number.NaN,
    }));
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs in Redis

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

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
      procs.map(p => `--- ${p.label} (pid ${p.pid}) stderr:\n${tail(p.stderr())}`).join('\n');
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
async function jobTimes(redis: Infra['connection'], hashKeys: readonly string[]) {
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

function span(times: readonly JobTimes[]) {
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

/** Every ERROR line the services wrote, with its process. */
function errorLines(procs: readonly Proc[]): string[] {
  return procs.flatMap(p =>
    p
      .stderr()
      .split('\n')
      .filter(line => /\bERROR\b/.test(line))
      .map(line => `[${p.label}] ${line}`),
  );
}

const problems: string[] = [];

function reportErrors(part: string, infra: Infra): void {
  const lines = errorLines(infra.procs);
  if (lines.length > 0) {
    problems.push(`${part}: ${lines.length} ERROR lines in worker stderr`, ...lines.slice(0, 20));
    process.stderr.write(
      `${part}: ${lines.length} ERROR lines:\n${lines.slice(0, 20).join('\n')}\n`,
    );
  }
}

/** A day through the queues: enqueue cluster-D, wait for load-D. */
async function runDay(infra: Infra, date: RideDate, timeoutMs: number, tick: () => void) {
  const clusterQueue = new Queue(QUEUES.cluster, { connection: infra.connection });
  const loadQueue = new Queue(QUEUES.load, { connection: infra.connection });
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

// ---------------------------------------------------------------------------------------------
// Part 1: throughput under the provider's limit

async function throughput(options: Options, tmp: string): Promise<void> {
  process.stderr.write('\n## 1. Throughput\n');
  const keep = cleanups.length;
  const startedOn = machine();
  const { rpm, windowMs } = options;
  const infra = await startInfra(join(tmp, 'throughput'));
  const fake: FakeLlm = await startFakeLlm({ rpm, windowMs, latencyMs: 50 });
  cleanups.push(() => fake.close());
  const date = BENCH_DATE;
  progress(`uploading ${count(options.rides)} rides`);
  await uploadDistinctDay(infra.store, date, options.rides);
  const env = {
    ...infra.env,
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: fake.url,
    OPENAI_MODEL: 'gpt-4o-mini',
    LLM_MAX_REQUESTS_PER_MINUTE: String(rpm),
    LLM_RATE_WINDOW_SECONDS: String(windowMs / 1_000),
  };
  progress(`starting cluster-worker and ${SUMMARIZE_WORKERS} summarize-workers`);
  const services = [
    etmlService('cluster-worker', 'cluster-worker', env),
    ...Array.from({ length: SUMMARIZE_WORKERS }, (_, i) =>
      etmlService('summarize-worker', `summarize-worker ${i + 1}`, env),
    ),
  ];
  await startProcs(infra, services);
  const sampler = new CpuSampler([
    { label: 'servers', pids: [infra.redisPid, infra.s3Pid] },
    { label: 'services', pids: services.map(p => p.pid) },
    { label: 'bench', pids: [] },
  ]);

  sampler.sample();
  let lastNote = Date.now();
  const day = await runDay(infra, date, 10 * windowMs + 5 * 60_000, () => {
    sampler.sample();
    if (Date.now() - lastNote >= 10_000) {
      lastNote = Date.now();
      progress(`${fake.count(200)} LLM requests accepted, ${fake.count(429)} 429s`);
    }
  });
  sampler.sample();
  reportErrors('throughput', infra);

  const requests = fake.requests;
  const accepted = requests.filter(r => r.status === 200).map(r => r.at);
  const first = Math.min(...requests.map(r => r.at));
  const last = Math.max(...requests.map(r => r.at));
  const windows: { from: number; n: number; full: boolean }[] = [];
  for (let from = first; from <= last; from += windowMs) {
    windows.push({
      from,
      n: accepted.filter(at => at >= from && at < from + windowMs).length,
      full: from + windowMs <= last,
    });
  }
  const full = windows.filter(w => w.full);
  const mean = full.length ? full.reduce((s, w) => s + w.n, 0) / full.length : Number.NaN;
  const fraction = mean / rpm;
  const peak = fake.peakInWindow();
  const tooMany = fake.count(429);
  const statuses = new Map<number, number>();
  for (const r of requests) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const w = `${windowMs / 1_000} s`;
  const yes = (ok: boolean) => (ok ? '✓' : '✗');

  console.log(
    `\n## 1. Throughput at ${rpm} requests per ${w}\n\n${startedOn} (at the start)\n\n` +
      `${count(options.rides)} rides (seed 11, each with its own news text), 1 cluster-worker and ` +
      `${SUMMARIZE_WORKERS} summarize-worker processes (LLM_CONCURRENCY 4); the fake OpenAI server ` +
      `allows ${rpm} requests per sliding ${w} window and answers in 50 ms; ` +
      `LLM_MAX_REQUESTS_PER_MINUTE=${rpm}` +
      `${windowMs === 60_000 ? '' : `, LLM_RATE_WINDOW_SECONDS=${windowMs / 1_000}`}.\n`,
  );
  const { counts, llm } = day.result;
  console.log(
    table(
      ['measure', 'value', 'goal'],
      [
        ['rides / anomalous rides', `${counts.rides} / ${counts.anomalies}`, ''],
        ['distinct prompts (prompts file)', String(day.prompts), options.quick ? '' : '≈ 2,000'],
        [
          'LLM calls / cache hits / failed (manifest)',
          `${llm.calls} / ${llm.cache_hits} / ${counts.summaries_by_source.failed}`,
          '',
        ],
        [
          'requests to the fake by status',
          [...statuses].map(([s, n]) => `${s}: ${n}`).join(', '),
          '',
        ],
        [
          'total wall time, enqueue → load-D completed',
          `${seconds((day.loadFinished - day.enqueuedAt) / 1_000)} s`,
          '',
        ],
        [
          'cluster-D, processedOn → finishedOn',
          `${seconds((day.clusterFinished - day.clusterStarted) / 1_000)} s`,
          '',
        ],
        ['first → last LLM request', `${seconds((last - first) / 1_000)} s`, ''],
        [
          `accepted per full ${w} window from the first request`,
          full.map(x => String(x.n)).join(', ') || '– (no full window)',
          '',
        ],
        [
          `mean of those / ${rpm}`,
          Number.isFinite(fraction) ? fraction.toFixed(3) : '–',
          `≥ 0.95 ${yes(fraction >= 0.95)}`,
        ],
        [
          'last, partial window',
          windows
            .filter(x => !x.full)
            .map(x => `${x.n} in ${seconds((last - x.from) / 1_000)} s`)
            .join(', ') || '–',
          '',
        ],
        ['fake’s peak in any sliding window', String(peak), `≤ ${rpm} ${yes(peak <= rpm)}`],
        ['429s', String(tooMany), `0 ${yes(tooMany === 0)}`],
        [
          'other processes on the machine, share of 2 cores',
          `${((100 * sampler.otherBetween(day.enqueuedAt, day.loadFinished)) / (2 * ((day.loadFinished - day.enqueuedAt) / 1_000))).toFixed(0)} %`,
          '',
        ],
      ],
    ),
  );
  // This part's processes and servers stop before the next part starts.
  await cleanUp(keep);
  if (infra.exits.length > 0) problems.push(...infra.exits.map(e => `throughput: ${e}`));
}

// ---------------------------------------------------------------------------------------------
// Part 2: orchestration overhead against BullMQ alone

interface Ours {
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

interface Raw {
  jobs: number;
  total: number;
  processing: number;
  cpu: { label: string; cpu: number }[];
  /** CPU seconds other processes on the machine used meanwhile. */
  other: number;
}

async function oursOnce(
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

async function rawOnce(infra: Infra, run: number, jobs: number, sampler: CpuSampler): Promise<Raw> {
  const queue = new Queue(RAW_QUEUE, { connection: infra.connection });
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
async function s3Alone(store: ObjectStore, n: number, sampler: CpuSampler) {
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

async function overhead(options: Options, tmp: string, kind: DayKind): Promise<void> {
  const title =
    kind === 'distinct'
      ? '2. Orchestration overhead: every anomaly a distinct prompt'
      : '2b. Orchestration overhead: a simulated day as it comes (prompts repeat)';
  process.stderr.write(`\n## ${title}\n`);
  const keep = cleanups.length;
  const startedOn = machine();
  const infra = await startInfra(join(tmp, `overhead-${kind}`));
  const fake = await startFakeLlm({ latencyMs: 0 });
  cleanups.push(() => fake.close());
  const dates = Array.from({ length: options.runs }, (_, r) => addDays(BENCH_DATE, 1 + r));
  for (const date of dates) {
    progress(`uploading ${count(options.overheadRides)} rides for ${date}`);
    if (kind === 'distinct') await uploadDistinctDay(infra.store, date, options.overheadRides);
    else {
      await infra.store.writeNdjson(
        keys.raw(date, 'jsonl'),
        simulateRides({ date, rides: options.overheadRides, seed: 11 }),
      );
    }
  }
  const env = {
    ...infra.env,
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: fake.url,
    OPENAI_MODEL: 'gpt-4o-mini',
    LLM_MAX_REQUESTS_PER_MINUTE: '1000000',
  };
  progress(
    `starting cluster-worker, ${SUMMARIZE_WORKERS} summarize-workers and ${SUMMARIZE_WORKERS} raw workers`,
  );
  const profiles = join(tmp, `overhead-${kind}`, 'profiles');
  const summarizers = Array.from({ length: SUMMARIZE_WORKERS }, (_, i) =>
    etmlService(
      'summarize-worker',
      `summarize-worker ${i + 1}`,
      options.cpuProf ? { ...env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profiles}` } : env,
    ),
  );
  const clusterWorker = etmlService('cluster-worker', 'cluster-worker', env);
  const rawWorkers = Array.from({ length: SUMMARIZE_WORKERS }, (_, i) =>
    spawnProcess(
      `raw-worker ${i + 1}`,
      process.execPath,
      [RAW_WORKER, infra.redisUrl, RAW_QUEUE, String(JOB_CONCURRENCY)],
      {},
      /raw-worker ready/,
    ),
  );
  await startProcs(infra, [clusterWorker, ...summarizers, ...rawWorkers]);
  const sampler = new CpuSampler([
    { label: 'redis-server', pids: [infra.redisPid] },
    { label: 's3rver', pids: [infra.s3Pid] },
    { label: `summarize-worker ×${SUMMARIZE_WORKERS}`, pids: summarizers.map(p => p.pid) },
    { label: 'cluster-worker', pids: [clusterWorker.pid] },
    { label: `raw-worker ×${SUMMARIZE_WORKERS}`, pids: rawWorkers.map(p => p.pid) },
    { label: 'bench process (fake LLM, producer)', pids: [] },
  ]);

  const ours: Ours[] = [];
  const raws: Raw[] = [];
  for (let r = 0; r < options.runs; r += 1) {
    // Alternate which side goes first; the raw side adds as many jobs as the first day had.
    for (const side of r % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours']) {
      if (side === 'ours') {
        const date = dates[r] as RideDate;
        progress(`run ${r + 1}: ours, ${date}`);
        const o = await oursOnce(infra, date, sampler, fake, kind);
        progress(
          `${o.summaries} summaries: phase ${seconds(o.phase)} s (${(o.summaries / o.phase).toFixed(0)}/s), load-D ${seconds(o.loadD)} s`,
        );
        ours.push(o);
      } else {
        const jobs = ours[0]?.summaries ?? 2_000;
        progress(`run ${r + 1}: raw BullMQ, ${jobs} no-op jobs`);
        const w = await rawOnce(infra, r, jobs, sampler);
        progress(`${w.jobs} jobs in ${seconds(w.total)} s (${(w.jobs / w.total).toFixed(0)}/s)`);
        raws.push(w);
      }
    }
  }
  const s3Jobs = ours[0]?.summaries ?? 2_000;
  // Only a new summary makes S3 requests; a day of repeated prompts makes a handful.
  let s3: Awaited<ReturnType<typeof s3Alone>> | undefined;
  if (kind === 'distinct') {
    progress(`S3 alone: ${s3Jobs} × (GET miss, PUT)`);
    s3 = await s3Alone(infra.store, s3Jobs, sampler);
  }
  reportErrors('overhead', infra);

  const rate = (n: number, s: number) => n / s;
  const rows = ours.map((o, i) => {
    const w = raws[i] as Raw;
    return [
      String(i + 1),
      o.date,
      String(o.summaries),
      seconds(o.fanOut),
      seconds(o.phase),
      seconds(o.fanIn),
      seconds(o.loadD),
      rate(o.summaries, o.phase).toFixed(0),
      rate(o.summaries, o.loadD).toFixed(0),
      seconds(w.total),
      rate(w.jobs, w.total).toFixed(0),
      (rate(o.summaries, o.phase) / rate(w.jobs, w.total)).toFixed(2),
      (rate(o.summaries, o.loadD) / rate(w.jobs, w.total)).toFixed(2),
    ];
  });
  const med = (f: (o: Ours) => number) => median(ours.map(f));
  const phaseRate = med(o => rate(o.summaries, o.phase));
  const loadRate = med(o => rate(o.summaries, o.loadD));
  const rawRate = median(raws.map(w => rate(w.jobs, w.total)));
  if (ours.length > 1) {
    rows.push([
      'median',
      '',
      String(med(o => o.summaries)),
      seconds(med(o => o.fanOut)),
      seconds(med(o => o.phase)),
      seconds(med(o => o.fanIn)),
      seconds(med(o => o.loadD)),
      phaseRate.toFixed(0),
      loadRate.toFixed(0),
      seconds(median(raws.map(w => w.total))),
      rawRate.toFixed(0),
      (phaseRate / rawRate).toFixed(2),
      (loadRate / rawRate).toFixed(2),
    ]);
  }
  console.log(
    `\n## ${title}\n\n${startedOn} (at the start)\n\n` +
      `${count(options.overheadRides)}-ride days (${kind === 'distinct' ? 'each ride with its own news text' : 'as simulated: a few situations a day'}, a new date per run), ` +
      `the fake answering at once with no limit, LLM_MAX_REQUESTS_PER_MINUTE=1000000, ` +
      `${SUMMARIZE_WORKERS} summarize-worker processes (job concurrency ${JOB_CONCURRENCY} each). ` +
      `Raw: as many no-op jobs, addBulk in batches of 1,000 to another queue on the same Redis, ` +
      `${SUMMARIZE_WORKERS} bench/raw-worker.ts processes with concurrency ${JOB_CONCURRENCY}. ` +
      `${options.runs} interleaved run${options.runs === 1 ? '' : 's'}.\n\n` +
      'Ours: fan-out is cluster-D finishedOn → the last child added; the summarize phase is the ' +
      'earliest processedOn → the latest finishedOn of the summarize children; fan-in is that → ' +
      'load-D finishedOn; load-D is cluster-D finishedOn → load-D finishedOn. Raw: the first add → ' +
      'the last finishedOn.\n',
  );
  console.log(
    table(
      [
        'run',
        'date',
        'summaries',
        'fan-out (s)',
        'summarize phase (s)',
        'fan-in (s)',
        'load-D (s)',
        'ours /s (phase)',
        'ours /s (load-D)',
        'raw (s)',
        'raw /s',
        'phase / raw',
        'load-D / raw',
      ],
      rows,
    ),
  );
  const r = phaseRate / rawRate;
  console.log(
    `\nTarget: summaries per second over the summarize phase ≥ 0.5 × raw BullMQ: ` +
      `${r.toFixed(2)}× ${r >= 0.5 ? '✓' : '✗'} (over load-D as a whole: ${(loadRate / rawRate).toFixed(2)}×)`,
  );
  const calls = ours.map(o => `${o.calls}`).join(', ');
  const prompts = ours.map(o => `${o.prompts}`).join(', ');
  console.log(`\nDistinct prompts per day: ${prompts}; LLM requests per day: ${calls}.`);

  // Where the time goes: CPU seconds per process during each measured interval.
  const cpuRows: string[][] = [];
  const labels = ours[0]?.cpu.map(c => c.label) ?? [];
  const perJob = (runs: { cpu: { cpu: number }[] }[], n: (i: number) => number, g: number) =>
    median(runs.map((x, i) => (1_000 * (x.cpu[g]?.cpu ?? Number.NaN)) / n(i)));
  const na = '–';
  labels.forEach((label, g) => {
    cpuRows.push([
      label,
      perJob(ours, i => ours[i]?.summaries ?? Number.NaN, g).toFixed(2),
      perJob(raws, i => raws[i]?.jobs ?? Number.NaN, g).toFixed(2),
      s3 ? ((1_000 * (s3.cpu[g]?.cpu ?? Number.NaN)) / s3Jobs).toFixed(2) : na,
    ]);
  });
  const total = (runs: { cpu: { cpu: number }[] }[], n: (i: number) => number) =>
    median(runs.map((x, i) => (1_000 * x.cpu.reduce((s, c) => s + c.cpu, 0)) / n(i)));
  const busy = (runs: { cpu: { cpu: number }[] }[], secs: (i: number) => number) =>
    median(runs.map((x, i) => x.cpu.reduce((s, c) => s + c.cpu, 0) / (2 * secs(i))));
  cpuRows.push([
    'all',
    total(ours, i => ours[i]?.summaries ?? Number.NaN).toFixed(2),
    total(raws, i => raws[i]?.jobs ?? Number.NaN).toFixed(2),
    s3 ? ((1_000 * s3.cpu.reduce((sum, c) => sum + c.cpu, 0)) / s3Jobs).toFixed(2) : na,
  ]);
  cpuRows.push([
    'share of 2 cores busy',
    `${(100 * busy(ours, i => ours[i]?.phase ?? Number.NaN)).toFixed(0)} %`,
    `${(100 * busy(raws, i => raws[i]?.total ?? Number.NaN)).toFixed(0)} %`,
    s3
      ? `${((100 * s3.cpu.reduce((sum, c) => sum + c.cpu, 0)) / (2 * s3.seconds)).toFixed(0)} %`
      : na,
  ]);
  // Another job on the machine would take cores from every side: shown so it is seen.
  const other = (x: { other: number }, secs: number) =>
    `${((100 * x.other) / (2 * secs)).toFixed(0)} %`;
  cpuRows.push([
    'other processes on the machine, share of 2 cores',
    ours.map((o, i) => other(o, ours[i]?.phase ?? Number.NaN)).join(', '),
    raws.map((w, i) => other(w, raws[i]?.total ?? Number.NaN)).join(', '),
    s3 ? other(s3, s3.seconds) : na,
  ]);
  console.log(
    `\nWhere the time goes: CPU milliseconds per summary (per job), from /proc/<pid>/stat ` +
      `sampled every 200 ms, over ours’ summarize phase and raw’s first add → last completion ` +
      `(medians over runs).` +
      (s3
        ? ` "S3 alone" is this process making a new summary’s two s3rver ` +
          `requests (a GET of the cache key, a miss, and the PUT of the summary) ` +
          `${s3Jobs} times, ${SUMMARIZE_WORKERS * JOB_CONCURRENCY} at a time, with no Redis and no ` +
          `LLM: ${seconds(s3.seconds)} s, ${(s3Jobs / s3.seconds).toFixed(0)} summaries/s ` +
          `(${((2 * s3Jobs) / s3.seconds).toFixed(0)} requests/s).\n`
        : '\n'),
  );
  console.log(table(['process', 'ours', 'raw BullMQ', 'S3 alone'], cpuRows));
  // This part's processes and servers stop before the next part starts.
  await cleanUp(keep);
  if (infra.exits.length > 0) problems.push(...infra.exits.map(e => `overhead: ${e}`));
  if (options.cpuProf) profileTable(profiles, ours);
}

/** Which libraries the summarize-workers' CPU went to during the summarize phases. */
function profileTable(dir: string, ours: readonly Ours[]): void {
  const byLibrary = cpuByLibrary(
    dir,
    ours.map(o => [o.phaseFrom, o.phaseTo]),
    epochOffsetMs(),
  );
  const summaries = ours.reduce((sum, o) => sum + o.summaries, 0);
  const total = [...byLibrary.values()].reduce((sum, ms) => sum + ms, 0);
  const workers = (o: Ours) => o.cpu.find(c => c.label.startsWith('summarize-worker'))?.cpu;
  const measured = ours.reduce((sum, o) => sum + 1_000 * (workers(o) ?? Number.NaN), 0);
  console.log(
    `\nProfiled (node --cpu-prof, a separate run: the profiler slows the workers): the ` +
      `${SUMMARIZE_WORKERS} summarize-workers' samples during the summarize phases, each counted ` +
      `for the nearest library on its stack, from the leaf up (Node's http, net and crypto count ` +
      `for the library that called them). Samples measure time on the CPU or waiting for one ` +
      `(${(total / summaries).toFixed(1)} ms per summary, against ${(measured / summaries).toFixed(1)} ms ` +
      `of CPU in /proc), so the CPU column is each share of the /proc figure.\n`,
  );
  console.log(
    table(
      ['where', 'share of samples', 'CPU ms per summary'],
      [...byLibrary]
        .sort(([, a], [, b]) => b - a)
        .map(([where, ms]) => [
          where,
          `${((100 * ms) / total).toFixed(1)} %`,
          ((ms / total) * (measured / summaries)).toFixed(2),
        ]),
    ),
  );
}

async function main(): Promise<void> {
  const options = readOptions();
  const tmp = mkdtempSync(join(tmpdir(), 'etml-bench-llm-'));
  cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  try {
    console.log(`# pnpm bench:llm ${process.argv.slice(2).join(' ')}`.trimEnd());
    if (options.parts.has('throughput')) await throughput(options, tmp);
    if (options.parts.has('overhead')) {
      for (const kind of options.overheadDays) await overhead(options, tmp, kind);
    }
  } finally {
    await cleanUp();
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    problems.length === 0
      ? '\nNo ERROR lines in any service’s stderr, no failed summaries, every service exited 0.'
      : `\nProblems seen:\n\n\`\`\`\n${problems.join('\n')}\n\`\`\``,
  );
  process.stderr.write(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

await main().catch(async (error: Error) => {
  process.stderr.write(`bench:llm: ${error.message}\n`);
  await cleanUp();
  process.exit(1);
});
