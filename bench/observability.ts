/**
 * `pnpm bench:obs`: what JSON logs and OpenTelemetry traces cost a day (issue #19; BENCHMARKS.md).
 *
 * A real redis-server and S3-API server, the fake OpenAI server (no latency, no limit) and a local
 * OTLP/HTTP receiver in this process. Each round runs one simulated day with observability off
 * (LOG_FORMAT=pretty, no OTEL_EXPORTER_OTLP_ENDPOINT) and one with it on (LOG_FORMAT=json,
 * OTEL_EXPORTER_OTLP_ENDPOINT at the receiver), the order alternating, each on fresh services and
 * a date of its own, timed from `etml run`'s enqueue to the manifest.
 */
import { parseArgs } from 'node:util';
import { addDays, type RideDate } from '@etml/domain';
import { startFakeLlm } from '@etml/testing/fake-llm';
import { BENCH_DATE, count, machine, median, progress, seconds, table } from './lib.ts';
import { uploadDay } from './llm/day.ts';
import { type DayKind, SUMMARIZE_WORKERS } from './llm/options.ts';
import { type Config, type DayRun, runConfigDay } from './obs/day.ts';
import { startOtlpReceiver } from './obs/otlp-receiver.ts';
import { cleanUp, cleanups, scratchDir, startInfra } from './services.ts';

const USAGE = `usage: node bench/observability.ts [options]
  --quick          20k-ride days, 1 round: about 1 min
  --rounds K       rounds, each one day off and one day on, the order alternating (default 3)
  --rides N        rides a day (default 200000)
  --prompts KIND   distinct: each ride's news its own, so every anomaly is an LLM call (default);
                   shared: days as simulated (a few situations a day, so most are cache hits)
  --llm-calls N    LLM_MAX_SUMMARIES_PER_DAY: the most severe N anomalies get an LLM call, the
                   others the offline summary (default 0: no limit)
  --on-env K=V     another variable for the services of the "on" side (repeatable), e.g.
                   --on-env LOG_LEVEL=debug or --on-env OTEL_SERVICE_NAME=etml-bench`;

/** A bad flag: one line naming it and its value, exit 2. */
function refuse(message: string): never {
  process.stderr.write(`bench:obs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function whole(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!(Number.isInteger(n) && n >= min)) {
    refuse(`--${flag} must be a whole number of at least ${min}, got "${value}"`);
  }
  return n;
}

function readOptions() {
  let values: ReturnType<typeof parse>['values'];
  const parse = () =>
    parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        rides: { type: 'string' },
        'llm-calls': { type: 'string' },
        prompts: { type: 'string', default: 'distinct' },
        'on-env': { type: 'string', multiple: true },
        help: { type: 'boolean', default: false },
      },
    });
  try {
    values = parse().values;
  } catch (error) {
    refuse((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const onEnv: Record<string, string> = {};
  for (const pair of values['on-env'] ?? []) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) refuse(`--on-env must be NAME=VALUE, got "${pair}"`);
    onEnv[match[1] as string] = match[2] as string;
  }
  const prompts = values.prompts;
  if (prompts !== 'distinct' && prompts !== 'shared') {
    refuse(`--prompts must be distinct or shared, got "${prompts}"`);
  }
  return {
    prompts: prompts as DayKind,
    rounds: whole('rounds', values.rounds, values.quick ? 1 : 3, 1),
    rides: whole('rides', values.rides, values.quick ? 20_000 : 200_000, 1),
    llmCalls: whole('llm-calls', values['llm-calls'], 0, 0),
    onEnv,
  };
}

type Options = ReturnType<typeof readOptions>;

function configs(options: Options, endpoint: string): Record<Config['name'], Config> {
  return {
    off: { name: 'off', env: { LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' } },
    on: {
      name: 'on',
      env: {
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        ...options.onEnv,
      },
    },
  };
}

async function main(): Promise<void> {
  const options = readOptions();
  const tmp = scratchDir('etml-bench-obs-');
  const started = performance.now();
  const startedOn = machine();
  const infra = await startInfra(tmp);
  const fake = await startFakeLlm({ latencyMs: 0 });
  cleanups.push(() => fake.close());
  const receiver = await startOtlpReceiver();
  cleanups.push(() => receiver.close());
  const sides = configs(options, receiver.url);
  const base = {
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: fake.url,
    OPENAI_MODEL: 'gpt-4o-mini',
    // The provider's limit is not what is measured here (bench:llm part 1 is).
    LLM_MAX_REQUESTS_PER_MINUTE: '1000000',
    ...(options.llmCalls > 0 ? { LLM_MAX_SUMMARIES_PER_DAY: String(options.llmCalls) } : {}),
  };
  Object.assign(infra.env, base);

  // A date per day: no summary of a distinct day is a cache hit from an earlier day.
  const order: Config['name'][] = [];
  for (let r = 0; r < options.rounds; r += 1)
    order.push(...((r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) as Config['name'][]));
  const dates = order.map((_, i) => addDays(BENCH_DATE, 1 + i));
  for (const date of dates) {
    progress(`uploading ${count(options.rides)} rides for ${date}`);
    await uploadDay(infra.store, date, options.rides, options.prompts);
  }
  const runs: DayRun[] = [];
  for (const [i, name] of order.entries()) {
    const date = dates[i] as RideDate;
    progress(`round ${Math.floor(i / 2) + 1}: ${name}, ${date}`);
    const day = await runConfigDay(infra, sides[name], date, fake, receiver);
    progress(
      `${day.anomalies} anomalies, ${day.llmRequests} LLM requests: ${seconds(day.endToEnd)} s; ` +
        `${day.logLines} log lines, ${day.spans} spans`,
    );
    runs.push(day);
  }
  report(options, startedOn, runs);
  progress('stopping the servers and removing the data');
  await cleanUp();
  process.stderr.write(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

function report(options: Options, startedOn: string, runs: readonly DayRun[]): void {
  const of = (name: Config['name']) => runs.filter(r => r.config === name);
  const off = of('off');
  const on = of('on');
  const kb = (bytes: number) => `${(bytes / 1e3).toFixed(0)}`;
  console.log(`# pnpm bench:obs ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(
    `\n${startedOn} (at the start)\n\n` +
      `${count(options.rides)}-ride days, ${
        options.prompts === 'distinct'
          ? 'each ride with news of its own (every anomaly a distinct prompt)'
          : 'as simulated (a few situations a day, so prompts repeat)'
      }, a new date per day; ${options.llmCalls > 0 ? `LLM_MAX_SUMMARIES_PER_DAY=${options.llmCalls}` : 'no LLM_MAX_SUMMARIES_PER_DAY'}; ` +
      `the fake answering at once with no limit, LLM_MAX_REQUESTS_PER_MINUTE=1000000; ` +
      `1 cluster-worker and ${SUMMARIZE_WORKERS} summarize-workers, started fresh for each day. ` +
      `off: LOG_FORMAT=pretty LOG_LEVEL=info, no OTEL_EXPORTER_OTLP_ENDPOINT. ` +
      `on: LOG_FORMAT=json LOG_LEVEL=info OTEL_EXPORTER_OTLP_ENDPOINT=<local receiver>` +
      `${Object.entries(options.onEnv)
        .map(([k, v]) => ` ${k}=${v}`)
        .join('')}. ` +
      `${options.rounds} round${options.rounds === 1 ? '' : 's'}, the order alternating (off, on; on, off; …).\n\n` +
      'End to end: cluster-D added (by `etml run`) → load-D completed (the manifest is its last ' +
      'write), from Redis. Services CPU: the cluster-worker and summarize-workers over that ' +
      'interval, from /proc. Other: the rest of the machine meanwhile (`etml run` included), as a ' +
      'share of 2 cores. Logs: everything the services wrote on standard output and error, start ' +
      'to stop.\n',
  );
  console.log(
    table(
      [
        'round',
        'config',
        'date',
        'anomalies',
        'summaries llm / extractive / failed',
        'end to end (s)',
        '`etml run` (s)',
        'services CPU (s)',
        'other',
        'log lines',
        'log kB',
        'JSON lines',
        'spans',
      ],
      runs.map((r, i) => [
        String(Math.floor(i / 2) + 1),
        r.config,
        r.date,
        String(r.anomalies),
        `${r.summaries.llm} / ${r.summaries.extractive} / ${r.summaries.failed}`,
        seconds(r.endToEnd),
        seconds(r.cli),
        seconds(r.servicesCpu),
        `${((100 * r.otherCpu) / (2 * r.endToEnd)).toFixed(0)} %`,
        String(r.logLines),
        kb(r.logBytes),
        String(r.jsonLines),
        String(r.spans),
      ]),
    ),
  );
  const med = (list: readonly DayRun[], f: (r: DayRun) => number) => median(list.map(f));
  const x = (f: (r: DayRun) => number) => {
    const ratio = med(on, f) / med(off, f);
    return Number.isFinite(ratio) ? `${ratio.toFixed(3)}×` : '–';
  };
  const row = (name: Config['name'], list: readonly DayRun[]) => [
    name,
    list.map(r => seconds(r.endToEnd)).join(', '),
    seconds(med(list, r => r.endToEnd)),
    name === 'off' ? '1.000×' : x(r => r.endToEnd),
    seconds(med(list, r => r.servicesCpu)),
    name === 'off' ? '1.000×' : x(r => r.servicesCpu),
    String(med(list, r => r.logLines)),
    kb(med(list, r => r.logBytes)),
    String(med(list, r => r.spans)),
  ];
  console.log(
    `\n${table(
      [
        'config',
        'end to end, each day (s)',
        'median (s)',
        '× off',
        'services CPU, median (s)',
        '× off',
        'log lines',
        'log kB',
        'spans',
      ],
      [row('off', off), row('on', on)],
    )}`,
  );
  // Paired: each round's on against its own off, which ran next to it.
  const paired = Array.from({ length: options.rounds }, (_, round) => {
    const pair = runs.slice(2 * round, 2 * round + 2);
    const a = pair.find(r => r.config === 'off');
    const b = pair.find(r => r.config === 'on');
    return a && b ? b.endToEnd / a.endToEnd : Number.NaN;
  });
  const ratio = med(on, r => r.endToEnd) / med(off, r => r.endToEnd);
  console.log(
    `\nOn / off, end to end: ${ratio.toFixed(3)}× (medians); each round: ` +
      `${paired.map(p => p.toFixed(3)).join(', ')}. ` +
      `Target ≤ 1.10×: ${ratio <= 1.1 ? '✓' : '✗'}. Services CPU: ${x(r => r.servicesCpu)}.`,
  );
  // Another job on a 2-core machine moves wall times far more than the 10 % measured here.
  const busiest = Math.max(...runs.map(r => r.otherCpu / (2 * r.endToEnd)));
  if (busiest > 0.1) {
    console.log(
      `\nThe machine was busy: other processes took up to ${(100 * busiest).toFixed(0)} % of 2 ` +
        'cores during a day, so the wall-clock ratio is not reliable; run it again on a quiet machine.',
    );
  }
  console.log(`\n${activity(on, off)}`);
  const problems = runs.flatMap(r => [
    ...(r.summaries.failed > 0
      ? [`${r.config} ${r.date}: ${r.summaries.failed} failed summaries`]
      : []),
    ...r.errorLines.slice(0, 10).map(line => `${r.config} ${r.date}: ${line}`),
    ...r.exits.map(e => `${r.config} ${r.date}: ${e}`),
  ]);
  console.log(
    problems.length === 0
      ? '\nNo error lines in any service’s logs, no failed summaries, every service exited 0.'
      : `\nProblems seen:\n\n\`\`\`\n${problems.join('\n')}\n\`\`\``,
  );
}

/** Whether the "on" side really had JSON logs and traces, said plainly. */
function activity(on: readonly DayRun[], off: readonly DayRun[]): string {
  const sum = (list: readonly DayRun[], f: (r: DayRun) => number) =>
    list.reduce((n, r) => n + f(r), 0);
  const spans = sum(on, r => r.spans);
  const requests = sum(on, r => r.otlpRequests);
  const uncounted = sum(on, r => r.otlpUncounted);
  const tracing =
    requests === 0
      ? 'Tracing: tracing not active (the "on" services sent no OTLP request to the receiver).'
      : `Tracing: ${spans} spans received in the "on" days (${Math.round(spans / on.length)} a day), in ` +
        `${requests} OTLP requests, ${(sum(on, r => r.otlpBytes) / 1e6).toFixed(1)} MB` +
        `${uncounted > 0 ? `; ${uncounted} bodies were not JSON, so their spans are not counted` : ''}.`;
  const json = sum(on, r => r.jsonLines);
  const lines = sum(on, r => r.logLines);
  const logs =
    json === 0
      ? `JSON logs: JSON logs not active (none of the "on" services' ${lines} lines is JSON).`
      : `JSON logs: ${json} of the "on" services' ${lines} lines are JSON.`;
  const leaked = sum(off, r => r.otlpRequests);
  const offNote =
    leaked > 0 ? `\n\nThe "off" days sent ${leaked} OTLP requests: they should send none.` : '';
  return `${tracing}\n\n${logs}${offNote}`;
}

await main()
  .catch(async (error: Error) => {
    process.stderr.write(`bench:obs: ${error.message}\n`);
    process.exitCode = 1;
  })
  .finally(cleanUp);
