import {
  alertEnv,
  alertUrl,
  type EnvSource,
  envInt,
  envNumber,
  jobLockEnv,
  jobLockOptions,
  logEnv,
  logSettings,
  metricsEnv,
  parseEnv,
  type TracingEnv,
  tracingEnv,
  tracingFrom,
} from '@etml/config';
import type { LogSettings } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';

const shape = {
  ...infraEnv,
  ...jobLockEnv,
  ...alertEnv,
  ...metricsEnv,
  ...logEnv,
  ...tracingEnv,
  DBSCAN_EPS: envNumber({ min: 0, exclusiveMin: true }).optional(),
  DBSCAN_MIN_SAMPLES: envInt({ min: 1 }).optional(),
  ANOMALY_MAX_SHARE: envNumber({ min: 0, exclusiveMin: true, max: 1 }).optional(),
  RAW_WAIT_MINUTES: envInt({ min: 0, max: 7 * 24 * 60 }).default(360),
};

export interface ClusterWorkerEnv {
  infra: Infra;
  /** LOG_FORMAT, LOG_LEVEL, and the secrets no log line may show. */
  log: LogSettings;
  /** METRICS_PORT: Prometheus /metrics is served there; undefined: no metrics server. */
  metricsPort: number | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; undefined: no tracing. */
  tracing: TracingEnv | undefined;
  eps: number | undefined;
  minSamples: number | undefined;
  /** At most this share of a day's rides is flagged (the most severe); unset, no cap. */
  maxShare: number | undefined;
  /** How long a day's raw input may be late before the job fails. */
  rawWaitMs: number;
  worker: { lockDuration: number; stalledInterval: number };
  /** Where a failed day is announced (ALERT_WEBHOOK_URL, else REPORT_WEBHOOK_URL), if anywhere. */
  alertUrl: string | undefined;
}

/** The cluster-worker's configuration; the only place it reads the environment. */
export function loadEnv(source: EnvSource = process.env): ClusterWorkerEnv {
  const env = parseEnv(shape, source);
  return {
    infra: infraFrom(env),
    log: logSettings(env, source),
    metricsPort: env.METRICS_PORT,
    tracing: tracingFrom(env),
    eps: env.DBSCAN_EPS,
    minSamples: env.DBSCAN_MIN_SAMPLES,
    maxShare: env.ANOMALY_MAX_SHARE,
    rawWaitMs: env.RAW_WAIT_MINUTES * 60_000,
    worker: jobLockOptions(env.JOB_LOCK_SECONDS),
    alertUrl: alertUrl(env),
  };
}
