import type { Logger } from '@etml/domain';
import { UnrecoverableError } from 'bullmq';

// BullMQ's words for a job whose keys or lock are gone: Redis lost its data (restarted empty,
// failed over to a replica that had not caught up, flushed) while a worker held the job.
const VANISHED =
  /^(?:Missing (?:key|lock) for job|could not renew lock for job|Vanished from Redis: job) ([^\s.]+)/;

// ioredis's and Node's words for a Redis that cannot be reached.
const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable|connect ETIMEDOUT/;

/** Errors further apart than this belong to different outages. */
const OUTAGE_GAP_MS = 60_000;
const MAX_LINE_GAP_MS = 60_000;
const REMEMBERED_JOBS = 10_000;

interface Reporter {
  vanished: Set<string>;
  lastErrorAt: number;
  nextLineAt: number;
  lineGapMs: number;
}

const reporters = new WeakMap<Logger, Reporter>();

/** Thrown by a processor that finds its own job gone from Redis before it does something costly. */
export class JobVanished extends UnrecoverableError {
  constructor(jobId: string | undefined) {
    super(`Vanished from Redis: job ${jobId}`);
  }
}

/** The id of the job a BullMQ error says vanished under its worker, or undefined. */
export function vanishedJob(error: Error): string | undefined {
  return VANISHED.exec(error.message)?.[1];
}

/**
 * Logs an error of one of this process's queues or workers (one reporter per logger) without
 * storms. A job that vanished under its worker is dropped with one warning naming it: nothing of
 * it was published, since a day's manifest is written last, and it runs again elsewhere (its
 * lock lapsed while Redis was away: BullMQ's stalled-job recovery) or its day does (Redis lost
 * it: the scheduler's catch-up, from S3). While Redis is unreachable, every connection of every queue and worker
 * reports each of its reconnection attempts; they make one line, then one after 1, 2, 4… up to
 * 60 s, so an outage of any length stays readable. Other errors are logged as they come.
 */
export function reportRedisError(
  log: Logger,
  where: Record<string, unknown>,
  error: Error,
  now = Date.now(),
): void {
  let reporter = reporters.get(log);
  if (!reporter) {
    reporter = { vanished: new Set(), lastErrorAt: 0, nextLineAt: 0, lineGapMs: 1_000 };
    reporters.set(log, reporter);
  }
  const job = vanishedJob(error);
  if (job !== undefined) {
    if (reporter.vanished.has(job)) return;
    reporter.vanished.add(job);
    if (reporter.vanished.size > REMEMBERED_JOBS) {
      reporter.vanished.delete(reporter.vanished.values().next().value as string);
    }
    log.warn(
      'job lost from Redis (its keys or lock are gone: Redis lost its data, or the lock expired while Redis was away); dropped here, nothing of it was published',
      {
        ...where,
        job,
        error: error.message,
      },
    );
    return;
  }
  if (!UNREACHABLE.test(error.message)) {
    log.error('Redis error', { ...where, error: error.message });
    return;
  }
  if (now - reporter.lastErrorAt > OUTAGE_GAP_MS) {
    reporter.nextLineAt = now;
    reporter.lineGapMs = 1_000;
  }
  reporter.lastErrorAt = now;
  if (now < reporter.nextLineAt) return;
  log.error('Redis is not reachable; retrying with backoff', {
    ...where,
    error: error.message,
    nextReportInSeconds: reporter.lineGapMs / 1_000,
  });
  reporter.nextLineAt = now + reporter.lineGapMs;
  reporter.lineGapMs = Math.min(reporter.lineGapMs * 2, MAX_LINE_GAP_MS);
}
