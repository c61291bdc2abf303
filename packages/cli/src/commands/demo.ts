import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClusterWorker } from '@etml/cluster-worker';
import { addDays, keys, type RideDate } from '@etml/domain';
import { tlcSample } from '@etml/fixtures';
import { ZoneClock } from '@etml/ingest';
import { renderDayReport } from '@etml/outputs';
import {
  type Connected,
  connectRedis,
  connectStore,
  createLogger,
  redisEvictionPolicy,
} from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import {
  createSummarizeWorker,
  loadEnv as loadSummarizeEnv,
  workerSettings,
} from '@etml/summarize-worker';
import { dateFlag, intFlag, parseFlags, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { followDay, startDay, withDayQueues } from '../follow.ts';
import { plural } from '../output.ts';
import { checkNotFuture, today } from '../today.ts';
import { DEFAULT_TLC_ZONE, importTlcFile } from './import.ts';
import { DEFAULT_RIDES, simulateToStore } from './simulate.ts';

/** The query the demo shows; test/cli.test.ts runs it as printed. */
const DEMO_QUERY =
  'SELECT anomaly_reasons, count(*) AS rides, round(avg(ride_dist), 1) AS avg_km FROM rides GROUP BY ALL ORDER BY rides DESC';

/**
 * Runs the day through the real queues: a cluster-worker and a summarize-worker in this process
 * take the jobs from Redis and read and write S3, exactly as the services do.
 */
async function runDay(redisUrl: string, store: ObjectStore, date: RideDate, rides: number) {
  const llm = loadSummarizeEnv();
  const quiet = createLogger('demo', () => {});
  const cluster = createClusterWorker({ redisUrl, store, cluster: {}, rawWaitMs: 0, log: quiet });
  const summarize = createSummarizeWorker({
    redisUrl,
    store,
    ...workerSettings(llm),
    log: quiet,
  });
  try {
    return await withDayQueues(redisUrl, async queues => {
      // A day left from an earlier demo is run again, so the demo always shows a fresh run; one
      // still in progress (an interrupted demo) is finished instead.
      await startDay(queues, store, date, true).catch(() => startDay(queues, store, date, false));
      let last = '';
      const result = await followDay(queues, date, {
        timeoutMs: 600_000 + rides,
        pollMs: 200,
        onProgress: progress => {
          if (progress.step !== last) process.stderr.write(`${progress.step}...\n`);
          last = progress.step;
        },
      });
      return {
        result,
        summarizer:
          llm.summarizer.kind === 'llm'
            ? `LLM ${llm.summarizer.model}`
            : `offline extractive summarizer (${llm.summarizer.why})`,
      };
    });
  } finally {
    await Promise.all([cluster.close(), summarize.close()]);
  }
}

/**
 * With the embedded S3, the day's report written beside its data, ready to open; otherwise the
 * command that writes it.
 */
async function localReport(store: Connected<ObjectStore>, date: RideDate): Promise<string[]> {
  const command = `./bin/etml report --date ${date}`;
  if (!store.embeddedDir) return [`    ${command}`];
  const file = join(dirname(store.embeddedDir), `report-${date}.html`);
  await writeFile(file, await renderDayReport(store.value, date));
  return [
    `    ${pathToFileURL(file).href}`,
    `    (written by: ${command} --out ${relative(process.cwd(), file)})`,
  ];
}

/**
 * Runs the pipeline end to end on the embedded defaults (or the configured Redis and S3), and
 * says where each output is and how to look at it.
 */
export const demoCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('demo', args, {
    date: { type: 'string' },
    rides: { type: 'string' },
    real: { type: 'boolean' },
  });
  if (flags.real && (flags.date !== undefined || flags.rides !== undefined)) {
    throw new UsageError(
      'demo: --real runs the busiest day of the bundled TLC sample; it takes no --date or --rides',
    );
  }
  const env = getEnv();
  let date = flags.date
    ? checkNotFuture(dateFlag('demo', 'date', flags.date), env.scheduleTz)
    : addDays(today(env.scheduleTz), -1);
  let rides = intFlag('demo', 'rides', flags.rides, DEFAULT_RIDES, { min: 1, max: 10_000_000 });

  const redis = await connectRedis(env);
  const policy = await redisEvictionPolicy(redis.value).catch((error: Error) => {
    throw new Error(`Redis at ${redis.description} is not reachable: ${error.message}`);
  });
  process.stderr.write(`redis: ${redis.description}; maxmemory-policy ${policy}\n`);
  if (policy !== 'noeviction') {
    process.stderr.write(
      'warning: set maxmemory-policy noeviction, or Redis may drop queued jobs\n',
    );
  }
  const store = await connectStore(env);
  process.stderr.write(`s3:    ${store.description}\n`);
  if (flags.real) {
    // Real trip records: January 2015 yellow-taxi trips from the NYC TLC, imported as etml
    // import does, then their busiest day runs through the queues.
    const imported = await importTlcFile(tlcSample.yellow201501Csv, {
      clock: new ZoneClock(DEFAULT_TLC_ZONE),
      store: store.value,
    });
    const busiest = imported.days.reduce((a, b) => (b.rides > a.rides ? b : a));
    date = busiest.date;
    rides = busiest.rides;
    process.stderr.write(
      `imported the bundled NYC TLC sample (${imported.rows} yellow-taxi trips of ${imported.month}) into ${imported.days.length} days; running the busiest, ${date} (${rides} rides)\n`,
    );
  } else {
    process.stderr.write(`${await simulateToStore({ date, rides, seed: 42 }, store)}\n`);
  }
  const { result, summarizer } = await runDay(redis.value, store.value, date, rides);
  const { counts, llm } = result;
  process.stderr.write(
    `${date}: ${counts.valid} rides, ${plural(counts.clusters, 'cluster')}, ${counts.noise} noise, ` +
      `${counts.anomalies} anomalies; summaries from the ${summarizer}: ` +
      `${llm.calls} LLM calls, ${llm.cache_hits} cache hits\n`,
  );

  const lines = ['', `Demo for ride date ${date}:`];
  const written = [];
  for (const prefix of [
    keys.rawPrefix(date),
    `clustered/date=${date}/`,
    `rejected/date=${date}/`,
    keys.outputPrefix(date),
    keys.latest,
  ]) {
    for await (const item of store.value.list(prefix)) written.push(item);
  }
  // s3rver keeps each object as a plain file beside its metadata.
  const onDisk = (key: string) =>
    store.embeddedDir
      ? relative(
          process.cwd(),
          join(store.embeddedDir, store.value.bucket, `${store.value.prefix}${key}._S3rver_object`),
        )
      : undefined;
  for (const item of written) {
    lines.push(`  ${store.value.uri(item.key)} (${item.size} bytes)`);
    const file = onDisk(item.key);
    if (file) lines.push(`      on disk: ${file}`);
  }
  const outputFile = onDisk(keys.output(date, 'rides.jsonl'));
  const manifestFile = onDisk(keys.manifest(date));
  const parquetFile = onDisk(keys.output(date, 'rides.parquet'));
  lines.push(
    '  The anomalous rides, with their reasons and summaries:',
    outputFile
      ? `    grep '"anomaly":true' ${outputFile} | head -3`
      : `    aws s3 cp ${store.value.uri(keys.output(date, 'rides.jsonl'))} - | grep '"anomaly":true' | head -3`,
    "  The day's counts, LLM calls, tokens, cost and checksums:",
    manifestFile
      ? `    cat ${manifestFile}`
      : `    aws s3 cp ${store.value.uri(keys.manifest(date))} -`,
    '  The morning report, for a browser (the same page as report.html):',
    ...(await localReport(store, date)),
    '  SQL over the day, with the DuckDB the project installs (`rides` is rides.parquet plus `date`):',
    `    ./bin/etml query --date ${date} --sql "${DEMO_QUERY}"`,
    `  rides.parquet itself is for DuckDB, pandas, Spark or Athena: ${parquetFile ?? store.value.uri(keys.output(date, 'rides.parquet'))}`,
    '  To run the services as they run every morning: ./bin/etml start (see README).',
    '',
  );
  if (store.embeddedDir) {
    lines.push(
      'The embedded Redis and S3 keep running for the next commands; stop them with ./bin/etml embedded down',
      '',
    );
  }
  process.stdout.write(lines.join('\n'));
};
