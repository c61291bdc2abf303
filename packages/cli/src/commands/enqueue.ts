import { InputError, type RideDate, rideDateRange } from '@etml/domain';
import { connectRedis } from '@etml/runtime';
import cliProgress from 'cli-progress';
import { dateFlag, parseFlags } from '../args.ts';
import type { Command } from '../command.ts';
import type { CliEnv } from '../env.ts';
import { type DayQueues, startDay, withDayQueues } from '../follow.ts';
import { checkNotFuture } from '../today.ts';

export const ENQUEUE_USAGE = 'etml enqueue --date YYYY-MM-DD [--force]';
export const BACKFILL_USAGE =
  'etml backfill --from YYYY-MM-DD --to YYYY-MM-DD [--force] [--yes]   (over 31 days needs --yes)';

/** A longer range is probably a typo (a wrong year), and costs LLM calls: it needs --yes. */
export const MAX_BACKFILL_DAYS = 31;

export async function withQueues<T>(
  env: CliEnv,
  use: (queues: DayQueues) => Promise<T>,
): Promise<T> {
  return withDayQueues((await connectRedis(env)).value, use);
}

/** etml enqueue: one date, idempotently (or again, with --force); the workers take it from there. */
export const enqueueCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('enqueue', args, {
    date: { type: 'string' },
    force: { type: 'boolean' },
  });
  const date = checkNotFuture(dateFlag('enqueue', 'date', flags.date), getEnv().scheduleTz);
  const result = await withQueues(getEnv(), queues => startDay(queues, date, flags.force ?? false));
  process.stdout.write(
    `${result.jobId}: ${result.added ? 'enqueued' : `already there (${result.state})`}\n`,
  );
};

/** etml backfill: every date of a range, oldest first, idempotently. */
export const backfillCommand: Command = async (args, getEnv) => {
  const flags = parseFlags('backfill', args, {
    from: { type: 'string' },
    to: { type: 'string' },
    force: { type: 'boolean' },
    yes: { type: 'boolean' },
  });
  const { scheduleTz } = getEnv();
  const from = checkNotFuture(dateFlag('backfill', 'from', flags.from), scheduleTz, '--from');
  const to = checkNotFuture(dateFlag('backfill', 'to', flags.to), scheduleTz, '--to');
  if (from > to) throw new InputError(`--from ${from} is after --to ${to}`);
  const dates: RideDate[] = rideDateRange(from, to);
  if (dates.length > MAX_BACKFILL_DAYS && !flags.yes) {
    throw new InputError(
      `${dates.length} days from ${from} to ${to} is more than ${MAX_BACKFILL_DAYS}; add --yes if you mean it`,
    );
  }
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: 'backfill [{bar}] {value}/{total} {date}', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(dates.length, 0, { date: '' });
  let added = 0;
  try {
    await withQueues(getEnv(), async queues => {
      for (const date of dates) {
        const result = await startDay(queues, date, flags.force ?? false);
        if (result.added) added += 1;
        if (bar) bar.increment({ date });
        else {
          process.stderr.write(
            `${result.jobId}: ${result.added ? 'enqueued' : `already there (${result.state})`}\n`,
          );
        }
      }
    });
  } finally {
    bar?.stop();
  }
  process.stdout.write(
    `${added} enqueued, ${dates.length - added} already queued or done (${from} to ${to})\n`,
  );
};
