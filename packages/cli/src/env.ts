import {
  type EnvSource,
  logEnv,
  logSettings,
  parseEnv,
  scheduleTzEnv,
  type TracingEnv,
  tracingEnv,
  tracingFrom,
} from '@etml/config';
import type { LogSettings } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';

export interface CliEnv extends Infra {
  /** The zone "today" is in for every command (see today.ts). */
  scheduleTz: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT…: the days the CLI enqueues start their traces here. */
  tracing: TracingEnv | undefined;
  /** LOG_FORMAT and LOG_LEVEL (`etml start` hands them on), and the secrets no line or span shows. */
  log: LogSettings;
}

/** The CLI's configuration; the only place the CLI reads the environment. */
export function loadCliEnv(source: EnvSource = process.env): CliEnv {
  const env = parseEnv({ ...infraEnv, ...scheduleTzEnv, ...tracingEnv, ...logEnv }, source);
  return {
    ...infraFrom(env),
    scheduleTz: env.SCHEDULE_TZ,
    tracing: tracingFrom(env),
    log: logSettings(env, source),
  };
}
