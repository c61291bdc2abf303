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
 * Prometheus lines for how fresh the outputs are, from S3 (not Redis, which may have lost its
 * jobs): the newest complete day, as the Unix time of its midnight UTC (0 before any), and
 * whether yesterday missed today's REPORT_DEADLINE, so an alert rule needs no webhook.
 */
export async function freshnessLines(options: FreshnessOptions): Promise<string[]> {
  const latest = await readLatest(options.store);
  const lastDay = latest ? Date.parse(`${latest.date}T00:00:00Z`) / 1000 : 0;
  const now = (options.clock ?? (() => new Date()))();
  const due = options.deadline ? dayDueBy(options.deadline, options.tz, now) : undefined;
  const late = due !== undefined && !(await options.store.exists(keys.manifest(due)));
  return [
    '# HELP etml_last_complete_day The newest day with a manifest, as the Unix time of its midnight UTC.',
    '# TYPE etml_last_complete_day gauge',
    `etml_last_complete_day ${lastDay}`,
    "# HELP etml_day_late 1 when today's REPORT_DEADLINE passed without yesterday's manifest.",
    '# TYPE etml_day_late gauge',
    `etml_day_late ${late ? 1 : 0}`,
  ];
}
