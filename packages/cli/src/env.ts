import { type EnvSource, envString, parseEnv } from '@etml/config';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';
import { checkTimeZone } from '@etml/scheduler';

const shape = {
  ...infraEnv,
  SCHEDULE_TZ: envString('an IANA time zone').optional(),
};

export interface CliEnv extends Infra {
  /** SCHEDULE_TZ when set: times the CLI shows (a job's next check) are in it. */
  scheduleTz: string | undefined;
}

/** The CLI's configuration; the only place the CLI reads the environment. */
export function loadCliEnv(source: EnvSource = process.env): CliEnv {
  const env = parseEnv(shape, source);
  return {
    ...infraFrom(env),
    scheduleTz: env.SCHEDULE_TZ === undefined ? undefined : checkTimeZone(env.SCHEDULE_TZ),
  };
}
