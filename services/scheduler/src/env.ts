import {
  alertEnv,
  alertUrl,
  deadlineEnv,
  type EnvSource,
  envInt,
  envString,
  logEnv,
  logSettings,
  metricsEnv,
  parseEnv,
  scheduleTzEnv,
  type TracingEnv,
  tracingEnv,
  tracingFrom,
} from '@etml/config';
import type { LogSettings } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';
import { checkCron } from './schedule.ts';

const shape = {
  ...infraEnv,
  SCHEDULE_CRON: envString('a cron expression').default('0 6 * * *'),
  ...scheduleTzEnv,
  CATCHUP_DAYS: envInt({ min: 0, max: 366 }).default(7),
  SCHEDULE_HEAL_SECONDS: envInt({ min: 1, max: 24 * 3600 }).default(300),
  ...deadlineEnv,
  ...alertEnv,
  ...metricsEnv,
  ...logEnv,
  ...tracingEnv,
};

export interface SchedulerEnv {
  infra: Infra;
  /** LOG_FORMAT, LOG_LEVEL, and the secrets no log line may show. */
  log: LogSettings;
  /** METRICS_PORT: Prometheus /metrics is served there; undefined: no metrics server. */
  metricsPort: number | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; undefined: no tracing. */
  tracing: TracingEnv | undefined;
  pattern: string;
  tz: string;
  catchUpDays: number;
  /** How often the schedule is checked and put back, and missed days caught up, regardless. */
  healMs: number;
  /** REPORT_DEADLINE, `HH:MM` in `tz`; unset: no late alerts. */
  deadline: string | undefined;
  /** Where a late day is announced (ALERT_WEBHOOK_URL, else REPORT_WEBHOOK_URL), if anywhere. */
  alertUrl: string | undefined;
}

/** The scheduler's configuration; the only place it reads the environment. */
export function loadEnv(source: EnvSource = process.env): SchedulerEnv {
  const env = parseEnv(shape, source);
  const tz = env.SCHEDULE_TZ;
  return {
    infra: infraFrom(env),
    log: logSettings(env, source),
    metricsPort: env.METRICS_PORT,
    tracing: tracingFrom(env),
    pattern: checkCron(env.SCHEDULE_CRON, tz),
    tz,
    catchUpDays: env.CATCHUP_DAYS,
    healMs: env.SCHEDULE_HEAL_SECONDS * 1_000,
    deadline: env.REPORT_DEADLINE,
    alertUrl: alertUrl(env),
  };
}
