import { type EnvSource, logEnv, logSettings, parseEnv, scheduleTzEnv } from '@etml/config';
import type { LogSettings } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';

export interface CliEnv extends Infra {
  /** The zone "today" is in for every command (see today.ts). */
  scheduleTz: string;
}

/** The CLI's configuration; the only place the CLI reads the environment. */
export function loadCliEnv(source: EnvSource = process.env): CliEnv {
  const env = parseEnv({ ...infraEnv, ...scheduleTzEnv }, source);
  return { ...infraFrom(env), scheduleTz: env.SCHEDULE_TZ };
}

/** LOG_FORMAT and LOG_LEVEL, for `etml start`, which decides the format for its services. */
export function loadCliLogSettings(source: EnvSource = process.env): LogSettings {
  return logSettings(parseEnv(logEnv, source), source);
}
