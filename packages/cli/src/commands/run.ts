import { keys } from '@etml/domain';
import type { LoadDayResult } from '@etml/queues';
import { connectRedis, connectStore } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { dateFlag, intFlag, parseFlags } from '../args.ts';
import type { Command } from '../command.ts';
import { maxFailedShareFlag, tooManyFailedSummaries } from '../failed-share.ts';
import {
  type DayProgress,
  type DayQueues,
  followDay,
  startDay,
  startedNote,
  withDayQueues,
} from '../follow.ts';
import {
  dayFraction,
  describeProgress,
  type ProgressDisplay,
  progressDisplay,
} from '../progress-display.ts';
import { checkNotFuture } from '../today.ts';

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

/** --timeout-minutes: a day normally takes minutes; its raw input may be a day late. */
export const timeoutFlag = (command: string, value: string | undefined) =>
  intFlag(command, 'timeout-minutes', value, 24 * 60, { min: 1, max: 7 * 24 * 60 });

/** Warns once per queue that nobody is working on it, after a grace period. */
export function idleWatch(queues: DayQueues) {
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
 * output keys, or 1 naming the step that failed and why, or how many summaries failed beyond
 * --max-failed-share.
 */
export const runCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('run', args, {
    date: { type: 'string' },
    force: { type: 'boolean' },
    'timeout-minutes': { type: 'string' },
    'max-failed-share': { type: 'string' },
  });
  const date = checkNotFuture(dateFlag('run', 'date', flags.date), getEnv().scheduleTz);
  const timeoutMinutes = timeoutFlag('run', flags['timeout-minutes']);
  const maxFailedShare = maxFailedShareFlag('run', flags['max-failed-share']);
  const env = getEnv();
  const redis = await connectRedis(env);
  const store = (await connectStore(env)).value;
  if (!flags.force && (await store.exists(keys.manifest(date)))) {
    process.stderr.write(`${date} is already done (rerun it with --force)\n`);
    process.stdout.write(`${store.uri(keys.manifest(date))}\n`);
    const failures = await tooManyFailedSummaries(store, date, maxFailedShare);
    if (failures) throw new Error(failures);
    return;
  }
  await withDayQueues(
    redis.value,
    async queues => {
      let display: ProgressDisplay | undefined;
      try {
        const started = await startDay(queues, store, date, flags.force ?? false);
        process.stderr.write(
          `${started.jobId}: ${startedNote(started, `already ${started.state}`)}\n`,
        );
        display = progressDisplay(date);
        const idle = idleWatch(queues);
        const result = await followDay(queues, date, {
          timeoutMs: timeoutMinutes * 60_000,
          onProgress: progress => {
            display?.update(...dayFraction(progress), describeProgress(progress, env.scheduleTz));
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
    },
    env,
  );
  const failures = await tooManyFailedSummaries(store, date, maxFailedShare);
  if (failures) throw new Error(failures);
};
