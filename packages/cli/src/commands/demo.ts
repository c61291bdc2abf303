import { join, relative } from 'node:path';
import { addDays, keys, rideDateInZone } from '@etml/domain';
import { connectRedis, connectStore } from '@etml/runtime';
import { Redis } from 'ioredis';
import { dateFlag, intFlag, parseFlags } from '../args.ts';
import type { Command } from '../command.ts';
import { DEFAULT_RIDES, simulateToStore } from './simulate.ts';

export const DEMO_USAGE = 'etml demo [--date YYYY-MM-DD] [--rides N]';

/** Steps of the pipeline that this version does not have yet, in order. */
const NOT_YET_BUILT = [
  'cluster-worker: DBSCAN labels and anomaly reasons -> clustered/date=D/rides.jsonl',
  'summarize-worker: one LLM summary per anomalous ride, under a global rate limit',
  'load step: output/date=D/rides.jsonl, rides.parquet, report.html and _manifest.json',
  'scheduler and Bull Board',
];

/**
 * Redis's eviction policy, from INFO (CONFIG GET is disabled on ElastiCache and Upstash). BullMQ
 * loses jobs under any policy but noeviction.
 */
async function evictionPolicy(url: string): Promise<string> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('memory');
    return /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

/**
 * Runs what exists of the pipeline end to end on the embedded defaults (or the configured
 * Redis and S3), and says plainly what is not built yet.
 */
export const demoCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('demo', args, { date: { type: 'string' }, rides: { type: 'string' } });
  const date = flags.date
    ? dateFlag('demo', 'date', flags.date)
    : addDays(rideDateInZone(new Date(), 'UTC'), -1);
  const rides = intFlag('demo', 'rides', flags.rides, DEFAULT_RIDES, { min: 1, max: 10_000_000 });
  const env = getEnv();

  const redis = await connectRedis(env);
  const policy = await evictionPolicy(redis.value).catch((error: Error) => {
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
  process.stderr.write(`${await simulateToStore({ date, rides, seed: 42 }, store)}\n`);

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
  );
  if (store.embeddedDir) {
    lines.push(
      'The embedded Redis and S3 keep running for the next commands; stop them with ./bin/etml embedded down',
      '',
    );
  }
  process.stdout.write(lines.join('\n'));
};
