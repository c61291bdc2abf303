/** Small helpers shared by the benchmark scripts: data, statistics, tables, processes. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseRideDate } from '@etml/domain';
import { simulateRides } from '@etml/simulate';

export const BENCH_DATE = parseRideDate('2025-07-30');
export const BENCH_SEED = 42;

export interface Day {
  distance: Float64Array;
  time: Float64Array;
  /** Ground truth for detectionQuality, when asked for. */
  truth?: { ride_dist: number; ride_time: number; injected_anomaly: string | null }[];
}

/** A simulated day as columns (and, with `truth`, the fields detectionQuality needs). */
export function simulateDay(rides: number, seed = BENCH_SEED, truth = false): Day {
  const distance = new Float64Array(rides);
  const time = new Float64Array(rides);
  const kept: NonNullable<Day['truth']> = [];
  let i = 0;
  for (const ride of simulateRides({ date: BENCH_DATE, rides, seed })) {
    distance[i] = ride.ride_dist;
    time[i] = ride.ride_time;
    i += 1;
    if (truth) {
      kept.push({
        ride_dist: ride.ride_dist,
        ride_time: ride.ride_time,
        injected_anomaly: ride.injected_anomaly,
      });
    }
  }
  return truth ? { distance, time, truth: kept } : { distance, time };
}

/** Columns on disk: all distances then all times, little-endian float64. */
export function writeColumns(path: string, distance: Float64Array, time: Float64Array): void {
  const out = new Float64Array(distance.length * 2);
  out.set(distance, 0);
  out.set(time, distance.length);
  writeFileSync(path, new Uint8Array(out.buffer));
}

export function readColumns(path: string): { distance: Float64Array; time: Float64Array } {
  const bytes = readFileSync(path);
  const all =
    bytes.byteOffset % 8 === 0
      ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8)
      : new Float64Array(new Uint8Array(bytes).buffer);
  const n = all.length / 2;
  return { distance: all.subarray(0, n), time: all.subarray(n) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Seconds, with three significant digits (at least three decimals under 1 s). */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 0.01) return s.toFixed(4);
  if (s < 1) return s.toFixed(3);
  if (s < 10) return s.toFixed(2);
  return s.toFixed(1);
}

export function ratio(a: number, b: number): string {
  if (!(Number.isFinite(a) && Number.isFinite(b)) || b === 0) return '–';
  const r = a / b;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? `${Math.round(bytes / 1e6)}` : '–';
}

export function count(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** A Markdown pipe table, padded so it also reads well in a terminal. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) =>
    Math.max(h.length, 3, ...rows.map(r => (r[c] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, c) => cell.padEnd(widths[c] as number)).join(' | ')} |`;
  return [
    line(headers),
    `| ${widths.map(w => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  wall: number;
}

/**
 * Runs a command to completion, collecting its output; `wall` is seconds from spawn to exit.
 * With `env`, that is the command's whole environment.
 */
export function run(
  command: string,
  args: readonly string[],
  env?: Record<string, string>,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', code => {
      resolve({ code, stdout, stderr, wall: (performance.now() - started) / 1000 });
    });
  });
}

export const TIME_BIN = '/usr/bin/time';
export const HAS_TIME = existsSync(TIME_BIN);

export interface Timed {
  /** Elapsed seconds (from /usr/bin/time when present, else from spawn to exit). */
  elapsed: number;
  /** Peak RSS in bytes, or NaN without /usr/bin/time. */
  peakRss: number;
  stdout: string;
  stderr: string;
}

/** Runs a command under `/usr/bin/time -f "%e %M"` and fails loudly if it fails. */
export async function timed(command: string, args: readonly string[]): Promise<Timed> {
  const done = HAS_TIME
    ? await run(TIME_BIN, ['-f', '@@time %e %M', command, ...args])
    : await run(command, args);
  if (done.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${done.code}:\n${done.stderr}`);
  }
  const match = /@@time ([\d.]+) (\d+)\s*$/.exec(done.stderr);
  return match
    ? {
        elapsed: Number(match[1]),
        peakRss: Number(match[2]) * 1024,
        stdout: done.stdout,
        stderr: done.stderr.slice(0, match.index),
      }
    : { elapsed: done.wall, peakRss: Number.NaN, stdout: done.stdout, stderr: done.stderr };
}

/**
 * Mean number of points within eps of a point (itself included), from a deterministic sample:
 * what scikit-learn's radius_neighbors materializes per point, so it predicts sklearn's memory.
 */
export function meanNeighbours(x: Float64Array, y: Float64Array, eps: number): number {
  const n = x.length;
  const samples = Math.min(n, 300);
  const eps2 = eps * eps;
  let total = 0;
  for (let s = 0; s < samples; s += 1) {
    const p = Math.floor((s * n) / samples);
    const px = x[p] as number;
    const py = y[p] as number;
    for (let q = 0; q < n; q += 1) {
      const dx = (x[q] as number) - px;
      const dy = (y[q] as number) - py;
      if (dx * dx + dy * dy <= eps2) total += 1;
    }
  }
  return total / samples;
}

/** MemAvailable from /proc/meminfo, in bytes (NaN where there is none). */
export function memAvailable(): number {
  try {
    const match = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The machine, Node and load average, for the head of a benchmark's tables. */
export function machine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const load = existsSync('/proc/loadavg')
    ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    : '?';
  return [
    `CPU ${model}, ${cpus().length} cores; RAM ${(totalmem() / 2 ** 30).toFixed(1)} GiB ` +
      `(${(memAvailable() / 2 ** 30).toFixed(1)} GiB available)`,
    `Node ${process.version}; ${new Date().toISOString()}; load average ${load}`,
  ].join('\n');
}

/** A whole-number command-line option (underscores allowed: 1_000_000), or its default. */
export function int(value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!(Number.isInteger(n) && n >= min)) throw new Error(`bad number: ${value}`);
  return n;
}
