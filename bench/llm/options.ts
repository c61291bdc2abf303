/** `pnpm bench:llm`'s flags, and the set-up they do not change. */
import { parseArgs } from 'node:util';
import { int } from '../lib.ts';

export const SUMMARIZE_WORKERS = 3;
/** LLM_CONCURRENCY's default, times the 4 the summarize-worker multiplies it by. */
export const JOB_CONCURRENCY = 16;

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
  --tpm T                 throughput: also a tokens limit per window on both sides (the fake's
                          and LLM_MAX_TOKENS_PER_MINUTE); e.g. --tpm 200000 --rpm 10000
  --cpu-prof              overhead: profile the summarize-workers (node --cpu-prof) and show
                          which libraries their CPU time goes to; the profiler slows them`;

export function readOptions() {
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
      tpm: { type: 'string' },
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
    tpm: values.tpm === undefined ? undefined : int(values.tpm, 0),
    cpuProf: values['cpu-prof'],
  };
}

export type Options = ReturnType<typeof readOptions>;

/** distinct: every anomalous ride its own prompt; shared: a simulated day as it comes. */
export type DayKind = 'distinct' | 'shared';
