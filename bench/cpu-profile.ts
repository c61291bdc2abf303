/**
 * Reads V8 .cpuprofile files (node --cpu-prof) and says which library the CPU time went to,
 * within given wall-clock intervals. Used by `bench/llm.ts --cpu-prof`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock that process.hrtime() reads. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Epoch milliseconds minus monotonic milliseconds, in this process: the same for every process. */
export function epochOffsetMs(): number {
  return Date.now() - Number(process.hrtime.bigint()) / 1e6;
}

const LIBRARIES: [RegExp, string][] = [
  [/\/node_modules\/(@aws-sdk|@smithy|@aws-crypto|@aws)\//, 'AWS SDK (S3 client)'],
  [/\/node_modules\/bullmq\//, 'BullMQ'],
  [/\/node_modules\/(ioredis|@ioredis|redis-parser|redis-errors|cluster-key-slot)\//, 'ioredis'],
  [/\/node_modules\/openai\//, 'openai client'],
  [/\/node_modules\/zod\//, 'zod'],
  [/\/node_modules\/(msgpackr|msgpackr-extract)\//, 'msgpackr (BullMQ)'],
];

function library(url: string): string | undefined {
  if (url === '' || url.startsWith('node:')) return undefined;
  for (const [pattern, name] of LIBRARIES) if (pattern.test(url)) return name;
  const inside = url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length);
  if (url.includes('/node_modules/')) return `other: ${/^(@[^/]+\/)?[^/]+/.exec(inside)?.[0]}`;
  return 'etml code';
}

/**
 * CPU milliseconds per category over the intervals, summed over every profile in `dir`. A
 * sample counts for the nearest library on its stack, from the leaf up (Node's own http, net
 * and crypto count for the library that called them); samples with no library on the stack are
 * "Node core" or V8's own entries (garbage collector, program).
 */
export function cpuByLibrary(
  dir: string,
  intervals: readonly [number, number][],
  offsetMs: number,
): Map<string, number> {
  const totals = new Map<string, number>();
  const files = readdirSync(dir).filter(f => f.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map(n => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const categoryOf = new Map<number, string>();
    const categorize = (id: number): string => {
      const known = categoryOf.get(id);
      if (known !== undefined) return known;
      const leaf = byId.get(id) as ProfileNode;
      let category: string | undefined;
      if (leaf.callFrame.url === '' && leaf.callFrame.functionName.startsWith('(')) {
        category = `V8 ${leaf.callFrame.functionName}`;
      }
      for (let at: number | undefined = id; category === undefined && at !== undefined; ) {
        category = library((byId.get(at) as ProfileNode).callFrame.url);
        at = parent.get(at);
      }
      const result = category ?? 'Node core';
      categoryOf.set(id, result);
      return result;
    };
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i += 1) {
      const previous = t;
      t += profile.timeDeltas[i] ?? 0;
      const atMs = t / 1_000 + offsetMs;
      if (!intervals.some(([from, to]) => atMs >= from && atMs <= to)) continue;
      const category = categorize(profile.samples[i] as number);
      if (category === 'V8 (idle)') continue;
      // A sample stands for the time since the one before it.
      totals.set(category, (totals.get(category) ?? 0) + (t - previous) / 1_000);
    }
  }
  return totals;
}
