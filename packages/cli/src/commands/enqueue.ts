import { InputError, type RideDate, rideDateRange } from '@etml/domain';
import { connectRedis, connectStore } from '@etml/runtime';
import { findRawInputs, type ObjectStore } from '@etml/storage';
import cliProgress from 'cli-progress';
import { dateFlag, parseFlags, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import type { CliEnv } from '../env.ts';
import { maxFailedShareFlag, tooManyFailedSummaries } from '../failed-share.ts';
import { type DayQueues, followDays, startDay, startedNote, withDayQueues } from '../follow.ts';
import { describeProgress, progressDisplay } from '../progress-display.ts';
import { checkNotFuture } from '../today.ts';
import { idleWatch, outputLines, timeoutFlag } from './run.ts';

/** A longer range is probably a typo (a wrong year), and costs LLM calls: it needs --yes. */
export const MAX_BACKFILL_DAYS = 31;

export async function withQueues<T>(
  env: CliEnv,
  use: (queues: DayQueues) => Promise<T>,
): Promise<T> {
  return withDayQueues((await connectRedis(env)).value, use, env);
}

/** etml enqueue: one date, idempotently (or again, with --force); the workers take it from there. */
export const enqueueCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('enqueue', args, {
    date: { type: 'string' },
    force: { type: 'boolean' },
  });
  const date = checkNotFuture(dateFlag('enqueue', 'date', flags.date), getEnv().scheduleTz);
  const env = getEnv();
  const store = (await connectStore(env)).value;
  const result = await withQueues(env, queues =>
    startDay(queues, store, date, flags.force ?? false),
  );
  process.stdout.write(
    `${result.jobId}: ${startedNote(result, `already there (${result.state})`)}\n`,
  );
};

/** The dates of a range that have no raw input in S3 yet. */
async function datesWithoutRawInput(store: ObjectStore, dates: RideDate[]): Promise<RideDate[]> {
  const missing: RideDate[] = [];
  for (const date of dates) {
    if ((await findRawInputs(store, date)).length === 0) missing.push(date);
  }
  return missing;
}

/**
 * etml backfill: every date of a range, oldest first, idempotently; names the dates whose raw
 * input has not arrived, and with --follow follows them all to the end, exiting as run does.
 */
export const backfillCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('backfill', args, {
    from: { type: 'string' },
    to: { type: 'string' },
    force: { type: 'boolean' },
    yes: { type: 'boolean' },
    follow: { type: 'boolean' },
    'timeout-minutes': { type: 'string' },
    'max-failed-share': { type: 'string' },
  });
  const { scheduleTz } = getEnv();
  const from = checkNotFuture(dateFlag('backfill', 'from', flags.from), scheduleTz, '--from');
  const to = checkNotFuture(dateFlag('backfill', 'to', flags.to), scheduleTz, '--to');
  if (from > to) throw new InputError(`--from ${from} is after --to ${to}`);
  for (const name of ['timeout-minutes', 'max-failed-share'] as const) {
    if (flags[name] !== undefined && !flags.follow) {
      throw new UsageError(`backfill: --${name} goes with --follow`);
    }
  }
  const timeoutMinutes = timeoutFlag('backfill', flags['timeout-minutes']);
  const maxFailedShare = maxFailedShareFlag('backfill', flags['max-failed-share']);
  const dates: RideDate[] = rideDateRange(from, to);
  if (dates.length > MAX_BACKFILL_DAYS && !flags.yes) {
    throw new InputError(
      `${dates.length} days from ${from} to ${to} is more than ${MAX_BACKFILL_DAYS}; add --yes if you mean it`,
    );
  }
  const env = getEnv();
  const store = (await connectStore(env)).value;
  await withQueues(env, async queues => {
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { format: 'backfill [{bar}] {value}/{total} {date}', stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(dates.length, 0, { date: '' });
    let added = 0;
    try {
      for (const date of dates) {
        const result = await startDay(queues, store, date, flags.force ?? false);
        if (result.added) added += 1;
        if (bar) bar.increment({ date });
        else {
          process.stderr.write(
            `${result.jobId}: ${startedNote(result, `already there (${result.state})`)}\n`,
          );
        }
      }
    } finally {
      bar?.stop();
    }
    process.stdout.write(
      `${added} enqueued, ${dates.length - added} already queued or done (${from} to ${to})\n`,
    );
    const missing = await datesWithoutRawInput(store, dates);
    if (missing.length > 0) {
      process.stdout.write(
        `no raw input yet for ${missing.length} of ${dates.length} dates (their cluster jobs start when it is uploaded): ${missing.join(', ')}\n`,
      );
    }
    if (flags.follow) {
      await followRange(queues, store, dates, {
        timeoutMs: timeoutMinutes * 60_000,
        maxFailedShare,
        tz: env.scheduleTz,
      });
    }
  });
};

/**
 * Follows the range to the end with one bar (days finished of the range), then prints each
 * day's outputs. Throws, for exit 1, when a day failed or its summaries failed beyond the share.
 */
async function followRange(
  queues: DayQueues,
  store: ObjectStore,
  dates: RideDate[],
  options: { timeoutMs: number; maxFailedShare: number; tz: string },
): Promise<void> {
  const display = progressDisplay('backfill', { counted: true });
  const idle = idleWatch(queues);
  let outcomes: Awaited<ReturnType<typeof followDays>>;
  try {
    outcomes = await followDays(queues, dates, {
      timeoutMs: options.timeoutMs,
      onProgress: (finished, current) => {
        const detail = current
          ? `${current.date} ${describeProgress(current.progress, options.tz)}`
          : 'done';
        display.update(finished, dates.length, detail);
        if (current) idle(current.progress).catch(() => {});
      },
    });
  } finally {
    display.stop();
  }
  const problems: string[] = [];
  for (const outcome of outcomes) {
    if ('failed' in outcome) {
      problems.push(outcome.failed.message);
      continue;
    }
    const [summary, ...uris] = outputLines(store, outcome.result);
    process.stderr.write(`${summary}\n`);
    process.stdout.write(`${uris.join('\n')}\n`);
    const failures = await tooManyFailedSummaries(store, outcome.date, options.maxFailedShare);
    if (failures) problems.push(failures);
  }
  if (problems.length === 0) return;
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  throw new Error(
    `${problems.length} of ${dates.length} days failed or had failed summaries; the first: ${problems[0]}`,
  );
}
