import type { Logger, RideDate } from '@etml/domain';
import { ownKeys, type RedisClient } from '@etml/runtime';
import { type DayManifest, failedOverShare } from './manifest.ts';
import { postJson, type WebhookOptions } from './webhook.ts';

/** late: no outputs by REPORT_DEADLINE. failed: a step failed for good, or too many summaries. */
export type AlertKind = 'late' | 'failed';

export interface Alert {
  kind: AlertKind;
  date: RideDate;
  /** The one line a chat channel shows. */
  text: string;
  [detail: string]: unknown;
}

/** The day is not complete by its deadline; `step` says where it is (see describeDayStep). */
export function lateAlert(date: RideDate, step: string, deadline: string, tz: string): Alert {
  return {
    kind: 'late',
    date,
    text: `Ride anomalies for ${date} are late: no outputs by ${deadline} ${tz}; ${step}.`,
    step,
    deadline,
    tz,
  };
}

/** A step of the day failed for good (cluster, load), or its summaries did (summarize). */
export function failedAlert(
  date: RideDate,
  step: 'cluster' | 'load' | 'summarize',
  reason: string,
  details: Record<string, unknown> = {},
): Alert {
  return {
    kind: 'failed',
    date,
    text: `Ride anomalies for ${date} failed at the ${step} step: ${reason}`,
    step,
    reason,
    ...details,
  };
}

/** A failed alert for a complete day when more than `maxShare` of its summaries failed. */
export function summariesFailedAlert(manifest: DayManifest, maxShare: number): Alert | undefined {
  const over = failedOverShare(manifest, maxShare);
  if (!over) return undefined;
  const first = manifest.failed_summaries[0];
  return failedAlert(
    manifest.date,
    'summarize',
    `${over.failed} of ${over.total} summaries failed (more than ALERT_FAILED_SUMMARY_SHARE ${maxShare})` +
      (first ? `; the first, ride ${first.ride_id}: ${first.reason}` : ''),
    { failed: over.failed, summaries: over.total, max_share: maxShare },
  );
}

/** How long a claim on an alert lasts while it is being posted: longer than every retry. */
const CLAIM_MS = 10 * 60_000;

/**
 * Posts an alert once per day and kind, with the completed-day webhook's tries and give-up. The
 * Redis mark is claimed before posting, so two workers that see the same day fail at once post
 * one alert; a post that is given up on drops the claim, so a later occasion may try again.
 * Never throws: an alert never fails a job.
 */
export async function sendAlert(
  options: WebhookOptions,
  deps: { redis: RedisClient; log: Logger },
  alert: Alert,
): Promise<'posted' | 'already sent' | 'failed'> {
  const { redis, log } = deps;
  const host = new URL(options.url).host;
  const fields = { kind: alert.kind, date: alert.date, host };
  try {
    const mark = ownKeys(redis).alertSent(alert.date, alert.kind);
    if ((await redis.set(mark, 'posting', 'PX', CLAIM_MS, 'NX')) !== 'OK') return 'already sent';
    const sent = await postJson(options, alert, async line => log.info(line, fields));
    if (sent.posted) {
      await redis.set(mark, 'posted', 'EX', 90 * 24 * 3600).catch(() => {});
      log.info('alert posted', fields);
      return 'posted';
    }
    await redis.del(mark).catch(() => {});
    log.warn('alert failed; gave up posting it', { ...fields, why: sent.why });
    return 'failed';
  } catch (error) {
    log.warn('alert skipped', { ...fields, error: (error as Error).message });
    return 'failed';
  }
}
