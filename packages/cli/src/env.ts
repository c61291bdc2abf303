import { type EnvSource, parseEnv } from '@etml/config';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';

/** The CLI's configuration; the only place the CLI reads the environment. */
export function loadCliEnv(source: EnvSource = process.env): Infra {
  return infraFrom(parseEnv(infraEnv, source));
}

export type CliEnv = Infra;
