import { dayDueBy, keys } from '@etml/domain';
import { readLatest } from '@etml/outputs';
import type { ObjectStore } from '@etml/storage';

export interface FreshnessOptions {
  store: ObjectStore;
  /** REPORT_DEADLINE, `HH:MM` in `tz`; unset: no day is ever late. */
  deadline: string | undefined;
  tz: string;
  /** The real clock, unless a test moves it. */
  clock?: () => Date;
}

/**
 * The newest complete day, from S3 (not Redis, which may have lost its jobs), as the Unix time
 * of its midnight UTC; 0 before any.
 */
export async function lastCompleteDay(options: FreshnessOptions): Promise<number> {
  const latest = await readLatest(options.store);
  return latest ? Date.parse(`${latest.date}T00:00:00Z`) / 1000 : 0;
}

/** Whether yesterday missed today's REPORT_DEADLINE, so an alert rule needs no webhook. */
export async function dayLate(options: FreshnessOptions): Promise<boolean> {
  const now = (options.clock ?? (() => new Date()))();
  const due = options.deadline ? dayDueBy(options.deadline, options.tz, now) : undefined;
  return due !== undefined && !(await options.store.exists(keys.manifest(due)));
}
