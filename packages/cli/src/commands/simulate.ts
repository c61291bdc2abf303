import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { keys } from '@etml/domain';
import { INJECTED_ANOMALIES, MAX_RIDES, type SimulatedRide, simulateRides } from '@etml/simulate';
import { dateFlag, intFlag, parseFlags } from '../args.ts';
import { connectStore } from '../context.ts';
import type { CliEnv } from '../env.ts';
import { formatBytes, putRawRides } from '../raw.ts';

export const SIMULATE_USAGE =
  'etml simulate --date YYYY-MM-DD [--rides N] [--seed S] [--output FILE|-]';

const DEFAULT_RIDES = 400;
const DEFAULT_SEED = 42;

/** NDJSON lines in chunks, counting each ride's injected group on the way. */
function ndjson(rides: Iterable<SimulatedRide>, counts: Map<string, number>): Readable {
  function* chunks() {
    let batch: string[] = [];
    for (const ride of rides) {
      const group = ride.injected_anomaly ?? 'normal';
      counts.set(group, (counts.get(group) ?? 0) + 1);
      batch.push(`${JSON.stringify(ride)}\n`);
      if (batch.length === 1_000) {
        yield batch.join('');
        batch = [];
      }
    }
    if (batch.length > 0) yield batch.join('');
  }
  return Readable.from(chunks());
}

export async function simulateCommand(args: string[], env: CliEnv): Promise<void> {
  const flags = parseFlags('simulate', args, {
    date: { type: 'string' },
    rides: { type: 'string' },
    seed: { type: 'string' },
    output: { type: 'string' },
  });
  const date = dateFlag('simulate', 'date', flags.date);
  const rides = intFlag('simulate', 'rides', flags.rides, DEFAULT_RIDES, {
    min: 1,
    max: MAX_RIDES,
  });
  const seed = intFlag('simulate', 'seed', flags.seed, DEFAULT_SEED, {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  });
  const counts = new Map<string, number>();
  const body = ndjson(simulateRides({ date, rides, seed }), counts);
  let where: string;
  if (flags.output === '-') {
    await pipeline(body, process.stdout);
    where = 'standard output';
  } else if (flags.output !== undefined) {
    await pipeline(body, createWriteStream(flags.output));
    where = flags.output;
  } else {
    const store = await connectStore(env);
    const written = await putRawRides(store.value, date, 'jsonl', body);
    where = `${store.value.uri(keys.raw(date, 'jsonl'))} (${formatBytes(written.bytes)}, ${store.description})`;
  }
  const mix = ['normal', ...INJECTED_ANOMALIES].map(g => `${counts.get(g) ?? 0} ${g}`).join(', ');
  process.stderr.write(`simulated ${rides} rides for ${date} (seed ${seed}: ${mix}) -> ${where}\n`);
}
