/** `pnpm bench:llm` part 1: throughput under the provider's limit. */
import { join } from 'node:path';
import { type FakeLlm, startFakeLlm } from '@etml/testing/fake-llm';
import { BENCH_DATE, count, machine, progress, seconds, table } from '../lib.ts';
import { cleanUp, cleanups, etmlService, startInfra, startProcs } from '../services.ts';
import { CpuSampler } from './cpu.ts';
import { runDay, uploadDistinctDay } from './day.ts';
import { type Options, SUMMARIZE_WORKERS } from './options.ts';
import { problems, reportErrors } from './problems.ts';

export async function throughput(options: Options, tmp: string): Promise<void> {
  process.stderr.write('\n## 1. Throughput\n');
  const keep = cleanups.length;
  const startedOn = machine();
  const { rpm, tpm, windowMs } = options;
  const infra = await startInfra(join(tmp, 'throughput'));
  const fake: FakeLlm = await startFakeLlm({ rpm, tpm, windowMs, latencyMs: 50 });
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
    ...(tpm === undefined ? {} : { LLM_MAX_TOKENS_PER_MINUTE: String(tpm) }),
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
  // Windows are filled in requests, or in tokens when there is a tokens limit.
  const limit = tpm ?? rpm;
  const unit = tpm === undefined ? 'requests' : 'tokens';
  const accepted = requests.filter(r => r.status === 200);
  const first = Math.min(...requests.map(r => r.at));
  const last = Math.max(...requests.map(r => r.at));
  const windows: { from: number; n: number; full: boolean }[] = [];
  for (let from = first; from <= last; from += windowMs) {
    windows.push({
      from,
      n: accepted
        .filter(r => r.at >= from && r.at < from + windowMs)
        .reduce((n, r) => n + (tpm === undefined ? 1 : (r.tokens ?? 0)), 0),
      full: from + windowMs <= last,
    });
  }
  const full = windows.filter(w => w.full);
  const mean = full.length ? full.reduce((s, w) => s + w.n, 0) / full.length : Number.NaN;
  const fraction = mean / limit;
  const peak = fake.peakInWindow();
  const tooMany = fake.count(429);
  const over = fake.overLimit();
  const peakTokens = fake.peakTokensInWindow();
  const statuses = new Map<number, number>();
  for (const r of requests) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const w = `${windowMs / 1_000} s`;
  const yes = (ok: boolean) => (ok ? '✓' : '✗');

  console.log(
    `\n## 1. Throughput at ${rpm} requests${tpm === undefined ? '' : ` and ${tpm} tokens`} per ${w}\n\n${startedOn} (at the start)\n\n` +
      `${count(options.rides)} rides (seed 11, each with its own news text), 1 cluster-worker and ` +
      `${SUMMARIZE_WORKERS} summarize-worker processes (LLM_CONCURRENCY 4); the fake OpenAI server ` +
      `allows ${rpm} requests${tpm === undefined ? '' : ` and ${tpm} tokens (reported usage)`} per sliding ${w} window and answers in 50 ms; ` +
      `LLM_MAX_REQUESTS_PER_MINUTE=${rpm}` +
      `${tpm === undefined ? '' : `, LLM_MAX_TOKENS_PER_MINUTE=${tpm}`}` +
      `${windowMs === 60_000 ? '' : `, LLM_RATE_WINDOW_SECONDS=${windowMs / 1_000}`}.\n`,
  );
  const { counts, llm } = day.result;
  console.log(
    table(
      ['measure', 'value', 'goal'],
      [
        ['rides / anomalous rides', `${counts.rides} / ${counts.anomalies}`, ''],
        [
          'distinct prompts (prompts file)',
          String(day.prompts),
          options.rides === 41_000 ? '≈ 2,000' : '',
        ],
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
          `accepted ${unit} per full ${w} window from the first request`,
          full.map(x => String(x.n)).join(', ') || '– (no full window)',
          '',
        ],
        [
          `mean of those / ${limit}`,
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
          'requests over the requests / tokens limit',
          `${over.requests} / ${over.tokens}`,
          `0 / 0 ${yes(over.requests + over.tokens === 0)}`,
        ],
        ...(tpm === undefined
          ? []
          : [
              [
                'LLM tokens (manifest) / fake’s peak tokens in any sliding window',
                `${llm.prompt_tokens + llm.completion_tokens} / ${peakTokens}`,
                `≤ ${tpm} ${yes(peakTokens <= tpm)}`,
              ],
            ]),
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
