import { keys, type RideDate } from '@etml/domain';
import { type Connected, connectStore } from '@etml/runtime';
import { INJECTED_ANOMALIES, MAX_RIDES, type SimulatedRide, simulateRides } from '@etml/simulate';
import { ndjsonChunks, type ObjectStore } from '@etml/storage';
import { dateFlag, intFlag, parseFlags } from '../args.ts';
import type { Command } from '../command.ts';
import { checkOutputPath, writeChunks } from '../output.ts';
import { formatBytes, putRawRides } from '../raw.ts';
import { rawInputArrived } from '../raw-arrived.ts';
import { checkNotFuture } from '../today.ts';

export const DEFAULT_RIDES = 400;
const DEFAULT_SEED = 42;

export interface SimulateRun {
  date: RideDate;
  rides: number;
  seed: number;
}

/** Simulates a day into S3 as raw/date=D/rides.jsonl; returns what it wrote, for messages. */
export async function simulateToStore(
  run: SimulateRun,
  store: Connected<ObjectStore>,
): Promise<string> {
  const counts = new Map<string, number>();
  const written = await putRawRides(
    store.value,
    run.date,
    'jsonl',
    ndjsonChunks(counted(run, counts)),
  );
  const where = `${store.value.uri(keys.raw(run.date, 'jsonl'))} (${formatBytes(written.bytes)})`;
  return describe(run, counts, where);
}

function* counted(run: SimulateRun, counts: Map<string, number>): Generator<SimulatedRide> {
  for (const ride of simulateRides(run)) {
    const group = ride.injected_anomaly ?? 'normal';
    counts.set(group, (counts.get(group) ?? 0) + 1);
    yield ride;
  }
}

function describe(run: SimulateRun, counts: Map<string, number>, where: string): string {
  const mix = ['normal', ...INJECTED_ANOMALIES].map(g => `${counts.get(g) ?? 0} ${g}`).join(', ');
  return `simulated ${run.rides} rides for ${run.date} (seed ${run.seed}: ${mix}) -> ${where}`;
}

export const simulateCommand: Command = async (args, env) => {
  const flags = parseFlags('simulate', args, {
    date: { type: 'string' },
    rides: { type: 'string' },
    seed: { type: 'string' },
    output: { type: 'string' },
  });
  const run: SimulateRun = {
    date: checkNotFuture(dateFlag('simulate', 'date', flags.date), env().scheduleTz),
    rides: intFlag('simulate', 'rides', flags.rides, DEFAULT_RIDES, { min: 1, max: MAX_RIDES }),
    seed: intFlag('simulate', 'seed', flags.seed, DEFAULT_SEED, {
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    }),
  };
  if (flags.output === undefined) {
    const store = await connectStore(env());
    process.stderr.write(`${await simulateToStore(run, store)}, ${store.description}\n`);
    await rawInputArrived(env(), [run.date]);
    return;
  }
  checkOutputPath('output', flags.output);
  const counts = new Map<string, number>();
  await writeChunks(flags.output, ndjsonChunks(counted(run, counts)));
  const where = flags.output === '-' ? 'standard output' : flags.output;
  process.stderr.write(`${describe(run, counts, where)}\n`);
};
