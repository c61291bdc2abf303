/**
 * `pnpm bench:soak`: a month backfilled through faults (issue #7; results in BENCHMARKS.md).
 *
 *   node bench/soak.ts [--quick] [--days N] [--rides N] [--s3-faults P] [--llm-5xx P]
 *
 * A real redis-server and S3-API server; 2 `etml cluster-worker`s and 3 `etml summarize-worker`s
 * as separate processes, which reach S3 through a fault proxy (503s and dropped connections) and
 * an OpenAI-compatible fake that answers a share of requests with 500. The days (simulated, each
 * ride with news of its own, so every anomaly is an LLM call) are uploaded first; the clock starts at
 * `etml backfill` and stops when the last manifest is written. Prints the wall time, every
 * process's peak RSS, and what was injected; fails if any day did not complete.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { addDays, keys } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { simulateRides } from '@etml/simulate';
import { startFakeLlm } from '@etml/testing/fake-llm';
import { startFaultProxy } from '@etml/testing/fault-proxy';
import { BENCH_DATE, count, int, machine, progress, seconds, table } from './lib.ts';
import {
  childEnv,
  cleanUp,
  cleanups,
  etmlService,
  type Level,
  lastLines,
  logLevel,
  logLines,
  ROOT,
  startInfra,
  startProcs,
} from './services.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    days: { type: 'string' },
    rides: { type: 'string' },
    's3-faults': { type: 'string' },
    'llm-5xx': { type: 'string' },
    'shared-prompts': { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(
    [
      'usage: node bench/soak.ts [options]',
      '  --quick          5 days of 5,000 rides',
      '  --days N         days backfilled (default 30)',
      '  --rides N        rides per day (default 20000)',
      '  --s3-faults P    share of S3 requests faulted: 4/5 answered 503, 1/5 dropped (default 0.05)',
      '  --llm-5xx P      share of LLM requests answered 500 (default 0.1)',
      '  --shared-prompts days as the simulator makes them (a few contexts a day, so prompts repeat);',
      "                   by default every ride's news is its own, so every anomaly is an LLM call",
      '',
    ].join('\n'),
  );
  process.exit(0);
}
const days = int(values.days, values.quick ? 5 : 30);
const rides = int(values.rides, values.quick ? 5_000 : 20_000);
const s3Faults = Number(values['s3-faults'] ?? 0.05);
const llm5xx = Number(values['llm-5xx'] ?? 0.1);
const DATES = Array.from({ length: days }, (_, i) => addDays(BENCH_DATE, i - days + 1));

/** A fixed scatter over request numbers in [0, 1): the same run faults the same requests. */
const draw = (n: number) => ((Math.imul(n, 2_654_435_761) >>> 0) % 10_000) / 10_000;

/** Peak resident set (VmHWM) of a live process, in bytes. */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'etml-bench-soak-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const infra = await startInfra(dir);
  const proxy = await startFaultProxy({
    targetPort: Number(new URL(infra.env.S3_ENDPOINT as string).port),
    fault: n => (draw(n) < s3Faults * 0.8 ? true : draw(n) < s3Faults ? 'reset' : false),
    status: 503,
  });
  cleanups.push(() => proxy.close());
  const fake = await startFakeLlm({ failRate: llm5xx, latencyMs: 30 });
  cleanups.push(() => fake.close());

  progress(`uploading ${days} days of ${count(rides)} rides`);
  for (const [i, date] of DATES.entries()) {
    const day = simulateRides({ date, rides, seed: 100 + i });
    await infra.store.writeNdjson(
      keys.raw(date, 'jsonl'),
      values['shared-prompts']
        ? day
        : (function* () {
            for (const ride of day) {
              yield { ...ride, news: `${ride.news} Ride reference ${ride.ride_id}.` };
            }
          })(),
    );
  }
  const env = {
    ...infra.env,
    S3_ENDPOINT: proxy.url,
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: fake.url,
    // The soak measures surviving faults, not the provider's limit (bench:llm measures that).
    LLM_MAX_REQUESTS_PER_MINUTE: '100000',
  };
  const procs = [
    ...[1, 2].map(n => etmlService('cluster-worker', `cluster-worker ${n}`, env)),
    ...[1, 2, 3].map(n => etmlService('summarize-worker', `summarize-worker ${n}`, env)),
  ];
  await startProcs(infra, procs);

  progress(`backfilling ${DATES[0]} to ${DATES[days - 1]}`);
  const started = performance.now();
  await promisify(execFile)(
    join(ROOT, 'bin', 'etml'),
    ['backfill', '--from', DATES[0] as string, '--to', DATES[days - 1] as string, '--yes'],
    { env: childEnv(env) },
  );
  const manifests = new Map<string, DayManifest>();
  const deadline = Date.now() + 60 * 60_000;
  const peaks = new Map<string, number>();
  while (manifests.size < days) {
    for (const p of [...procs])
      peaks.set(p.label, Math.max(peaks.get(p.label) ?? 0, peakRss(p.pid)));
    for (const date of DATES) {
      if (manifests.has(date) || !(await infra.store.exists(keys.manifest(date)))) continue;
      manifests.set(date, await infra.store.getJson<DayManifest>(keys.manifest(date)));
      progress(
        `${date} complete (${manifests.size}/${days}) after ${seconds((performance.now() - started) / 1000)} s`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${days - manifests.size} days still incomplete after an hour\n` +
          procs.map(p => `--- ${p.label}\n${lastLines(p)}`).join('\n'),
      );
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  const wall = (performance.now() - started) / 1000;
  for (const p of procs) peaks.set(p.label, Math.max(peaks.get(p.label) ?? 0, peakRss(p.pid)));
  peaks.set('redis-server', peakRss(infra.redisPid));
  peaks.set('S3-API server (s3rver)', peakRss(infra.s3Pid));

  const all = [...manifests.values()];
  const sum = (f: (m: DayManifest) => number) => all.reduce((n, m) => n + f(m), 0);
  const lines = (level: Level) =>
    procs.flatMap(p => logLines(p).filter(l => logLevel(l) === level));
  const errors = lines('error');
  process.stdout.write(`${machine()}\n\n`);
  process.stdout.write(
    `${table(
      ['days', 'rides', 'anomalies', 'summaries failed', 'wall time (s)', 'rides/s'],
      [
        [
          String(days),
          count(days * rides),
          String(sum(m => m.counts.anomalies)),
          String(sum(m => m.counts.summaries_by_source.failed)),
          seconds(wall),
          String(Math.round((days * rides) / wall)),
        ],
      ],
    )}\n\n`,
  );
  process.stdout.write(
    `${table(
      ['injected', 'count'],
      [
        ['S3 requests', String(proxy.requests)],
        ['S3 answered 503', String(proxy.faulted)],
        ['S3 connections dropped', String(proxy.resets)],
        ['LLM requests', String(fake.requests.length)],
        ['LLM answered 500', String(fake.count(500))],
        ['LLM calls that succeeded', String(fake.count(200))],
        ['WARN lines in service logs (retried attempts)', String(lines('warn').length)],
        ['ERROR lines in service logs', String(errors.length)],
      ],
    )}\n\n`,
  );
  process.stdout.write(
    `${table(
      ['process', 'peak RSS (MB)'],
      [...peaks].map(([label, bytes]) => [label, String(Math.round(bytes / 1e6))]),
    )}\n`,
  );
  if (errors.length > 0) process.stderr.write(`ERROR lines:\n${errors.slice(0, 20).join('\n')}\n`);
}

try {
  await main();
} finally {
  await cleanUp();
}
