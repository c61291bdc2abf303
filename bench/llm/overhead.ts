/** `pnpm bench:llm` part 2: orchestration overhead against BullMQ alone. */
import { join } from 'node:path';
import { addDays, type RideDate } from '@etml/domain';
import { startFakeLlm } from '@etml/testing/fake-llm';
import { cpuByLibrary, epochOffsetMs } from '../cpu-profile.ts';
import { BENCH_DATE, count, machine, median, progress, seconds, table } from '../lib.ts';
import {
  cleanUp,
  cleanups,
  etmlService,
  spawnProcess,
  startInfra,
  startProcs,
} from '../services.ts';
import { CpuSampler } from './cpu.ts';
import { uploadDay } from './day.ts';
import { type DayKind, JOB_CONCURRENCY, type Options, SUMMARIZE_WORKERS } from './options.ts';
import {
  type Ours,
  oursOnce,
  RAW_QUEUE,
  RAW_WORKER,
  type Raw,
  rawOnce,
  s3Alone,
} from './overhead-sides.ts';
import { problems, reportErrors } from './problems.ts';

export async function overhead(options: Options, tmp: string, kind: DayKind): Promise<void> {
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
    await uploadDay(infra.store, date, options.overheadRides, kind);
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
