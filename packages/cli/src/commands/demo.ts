import { join, relative } from 'node:path';
import { addDays, keys, rideDateInZone } from '@etml/domain';
import { Redis } from 'ioredis';
import { dateFlag, parseFlags } from '../args.ts';
import { connectRedis, connectStore } from '../context.ts';
import type { CliEnv } from '../env.ts';
import { simulateCommand } from './simulate.ts';

export const DEMO_USAGE = 'etml demo [--date YYYY-MM-DD] [--rides N]';

/** Steps of the pipeline that this version does not have yet, in order. */
const NOT_YET_BUILT = [
  'cluster-worker: DBSCAN labels and anomaly reasons -> clustered/date=D/rides.jsonl',
  'summarize-worker: one LLM summary per anomalous ride, under a global rate limit',
  'load step: output/date=D/rides.jsonl, rides.parquet, report.html and _manifest.json',
  'scheduler and Bull Board',
];

/**
 * Runs what exists of the pipeline end to end on the embedded defaults (or the configured
 * Redis and S3), and says plainly what is not built yet.
 */
export async function demoCommand(args: string[], env: CliEnv): Promise<void> {
  const flags = parseFlags('demo', args, { date: { type: 'string' }, rides: { type: 'string' } });
  const date = flags.date
    ? dateFlag('demo', 'date', flags.date)
    : addDays(rideDateInZone(new Date(), 'UTC'), -1);

  const redis = await connectRedis(env);
  const client = new Redis(redis.value, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const policy = (await client.config('GET', 'maxmemory-policy')) as string[];
    process.stderr.write(`redis: ${redis.description}; maxmemory-policy ${policy[1]}\n`);
  } finally {
    client.disconnect();
  }
  const store = await connectStore(env);
  process.stderr.write(`s3:    ${store.description}\n`);

  await simulateCommand(['--date', date, ...(flags.rides ? ['--rides', flags.rides] : [])], env);

  const lines = ['', `Demo for ride date ${date}:`];
  for await (const item of store.value.list(keys.rawPrefix(date))) {
    lines.push(`  raw input: ${store.value.uri(item.key)} (${item.size} bytes)`);
    if (store.embeddedDir) {
      // s3rver keeps each object as a plain file beside its metadata.
      const file = join(
        store.embeddedDir,
        store.value.bucket,
        `${store.value.prefix}${item.key}._S3rver_object`,
      );
      lines.push(`             on disk: ${relative(process.cwd(), file)}`);
    }
  }
  lines.push(
    '  Not built yet in this version, so not run:',
    ...NOT_YET_BUILT.map(step => `    - ${step}`),
    '',
    store.embeddedDir
      ? 'The embedded Redis and S3 keep running for the next commands; stop them with ./bin/etml embedded down'
      : '',
    '',
  );
  process.stdout.write(lines.join('\n'));
}
