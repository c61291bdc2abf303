import { keys, type RideDate } from '@etml/domain';
import type { LoadDayResult } from '@etml/queues';
import { connectRedis, connectStore } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import cliProgress from 'cli-progress';
import { dateFlag, intFlag, parseFlags } from '../args.ts';
import type { Command } from '../command.ts';
import { type DayProgress, type DayQueues, followDay, startDay, withDayQueues } from '../follow.ts';
import { checkNotFuture } from '../today.ts';

export const RUN_USAGE = 'etml run --date YYYY-MM-DD [--force] [--timeout-minutes N]';

function describe(progress: DayProgress): string {
  switch (progress.step) {
    case 'cluster':
      return progress.phase
        ? `cluster: ${progress.phase}${progress.rows ? ` ${progress.rows.toLocaleString('en')} rows` : ''}`
        : `cluster: ${progress.state}`;
    case 'summarize':
      return `summarize: ${progress.done}/${progress.total} rides${progress.failed ? `, ${progress.failed} failed` : ''}`;
    case 'load':
      return `load: writing${progress.rows ? ` ${progress.rows.toLocaleString('en')} rows` : ''}`;
  }
}

/**
 * A progress display: a bar on a terminal, and a line per change (at most one every few
 * seconds) when stderr is a pipe or a file, so logs stay readable.
 */
function progressDisplay(date: RideDate) {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${date} [{bar}] {percentage}% | {detail}`,
        hideCursor: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0, { detail: 'queued' });
    return {
      update(progress: DayProgress) {
        const [value, total] =
          progress.step === 'summarize'
            ? [progress.done, Math.max(progress.total, 1)]
            : [progress.step === 'load' ? 1 : 0, 1];
        bar.setTotal(total);
        bar.update(value, { detail: describe(progress) });
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  let lastAt = 0;
  return {
    update(progress: DayProgress) {
      const text = describe(progress);
      const stepChanged = text.split(':')[0] !== last.split(':')[0];
      if (text !== last && (stepChanged || Date.now() - lastAt > 5_000)) {
        process.stderr.write(`${date} ${text}\n`);
        last = text;
        lastAt = Date.now();
      }
    },
    stop: () => {},
  };
}

export function outputLines(store: ObjectStore, result: LoadDayResult): string[] {
  const { counts, llm } = result;
  const bySource = counts.summaries_by_source;
  return [
    `${result.date}: ${counts.valid} rides (${counts.rejected} rejected), ${counts.anomalies} anomalies; ` +
      `summaries ${bySource.llm} llm, ${bySource.extractive} extractive, ${bySource.failed} failed; ` +
      `${llm.calls} LLM calls, ${llm.cache_hits} cache hits`,
    ...Object.values(result.outputs),
    store.uri(keys.rejected(result.date)),
  ];
}

/** Warns once per queue that nobody is working on it, after a grace period. */
function idleWatch(queues: DayQueues) {
  const started = Date.now();
  const warned = new Set<string>();
  return async (progress: DayProgress) => {
    if (Date.now() - started < 5_000) return;
    const queue = progress.step === 'cluster' ? queues.cluster : queues.summarize;
    const service = progress.step === 'cluster' ? 'cluster-worker' : 'summarize-worker';
    if (warned.has(service) || (await queue.getWorkersCount()) > 0) return;
    warned.add(service);
    process.stderr.write(
      `warning: no ${service} is connected to this Redis; start one with 'etml ${service}'\n`,
    );
  };
}

/**
 * etml run: enqueues a day and follows it until its manifest is written. Exit 0 with the
 * output keys, or 1 naming the step that failed and why.
 */
export const runCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('run', args, {
    date: { type: 'string' },
    force: { type: 'boolean' },
    'timeout-minutes': { type: 'string' },
  });
  const date = checkNotFuture(dateFlag('run', 'date', flags.date), getEnv().scheduleTz);
  const timeoutMinutes = intFlag('run', 'timeout-minutes', flags['timeout-minutes'], 24 * 60, {
    min: 1,
    max: 7 * 24 * 60,
  });
  const env = getEnv();
  const redis = await connectRedis(env);
  const store = (await connectStore(env)).value;
  if (!flags.force && (await store.exists(keys.manifest(date)))) {
    process.stderr.write(`${date} is already done (rerun it with --force)\n`);
    process.stdout.write(`${store.uri(keys.manifest(date))}\n`);
    return;
  }
  await withDayQueues(redis.value, async queues => {
    let display: ReturnType<typeof progressDisplay> | undefined;
    try {
      const started = await startDay(queues, date, flags.force ?? false);
      process.stderr.write(
        `${started.jobId}: ${started.added ? 'enqueued' : `already ${started.state}`}\n`,
      );
      display = progressDisplay(date);
      const idle = idleWatch(queues);
      const result = await followDay(queues, date, {
        timeoutMs: timeoutMinutes * 60_000,
        onProgress: progress => {
          display?.update(progress);
          idle(progress).catch(() => {});
        },
      });
      display.stop();
      display = undefined;
      const [summary, ...uris] = outputLines(store, result);
      process.stderr.write(`${summary}\n`);
      process.stdout.write(`${uris.join('\n')}\n`);
    } finally {
      display?.stop();
    }
  });
};
