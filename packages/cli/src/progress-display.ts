import cliProgress from 'cli-progress';
import { type DayProgress, describeWaiting } from './follow.ts';

/** One line for where a day stands: "cluster: 40,000 rows", "summarize: 3/14 rides", … */
export function describeProgress(progress: DayProgress, tz: string): string {
  switch (progress.step) {
    case 'cluster':
      if (progress.waiting) return `cluster: ${describeWaiting(progress.waiting, tz)}`;
      return progress.phase
        ? `cluster: ${progress.phase}${progress.rows ? ` ${progress.rows.toLocaleString('en')} rows` : ''}`
        : `cluster: ${progress.state}`;
    case 'summarize':
      return `summarize: ${progress.done}/${progress.total} rides${progress.failed ? `, ${progress.failed} failed` : ''}`;
    case 'load':
      return `load: writing${progress.rows ? ` ${progress.rows.toLocaleString('en')} rows` : ''}`;
  }
}

/** How far a single day is, as a bar's value of total: its summaries, or 0 or 1. */
export function dayFraction(progress: DayProgress): [value: number, total: number] {
  if (progress.step === 'summarize') return [progress.done, Math.max(progress.total, 1)];
  return [progress.step === 'load' ? 1 : 0, 1];
}

export interface ProgressDisplay {
  update(value: number, total: number, detail: string): void;
  stop(): void;
}

/**
 * A progress display: a bar on a terminal, and a line per change (at most one every few
 * seconds, unless the step before the first ':' changes) when stderr is a pipe or a file, so
 * logs stay readable. `counted` puts "value/total" on those lines (a range of days).
 */
export function progressDisplay(
  label: string,
  options: { counted?: boolean } = {},
): ProgressDisplay {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] ${options.counted ? '{value}/{total}' : '{percentage}%'} | {detail}`,
        hideCursor: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0, { detail: 'queued' });
    return {
      update(value, total, detail) {
        bar.setTotal(total);
        bar.update(value, { detail });
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  let lastAt = 0;
  return {
    update(value, total, detail) {
      const text = options.counted ? `${value}/${total} ${detail}` : detail;
      const stepChanged = text.split(':')[0] !== last.split(':')[0];
      if (text !== last && (stepChanged || Date.now() - lastAt > 5_000)) {
        process.stderr.write(`${label} ${text}\n`);
        last = text;
        lastAt = Date.now();
      }
    },
    stop: () => {},
  };
}
