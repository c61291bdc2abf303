import { type EnvSource, envEnum, envInt, envString, parseEnv } from '@etml/config';
import { ConfigError } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';

const shape = {
  ...infraEnv,
  BOARD_PORT: envInt({ min: 1, max: 65_535 }).default(3000),
  BOARD_USERNAME: envString().default('admin'),
  BOARD_PASSWORD: envString().optional(),
  /** off: no authentication, for a board on a developer's own machine only. */
  BOARD_AUTH: envEnum(['on', 'off'] as const).default('on'),
};

export interface BoardEnv {
  infra: Infra;
  port: number;
  /** null when BOARD_AUTH=off. */
  auth: { username: string; password: string } | null;
}

/** The board's configuration; the only place it reads the environment. */
export function loadEnv(source: EnvSource = process.env): BoardEnv {
  const env = parseEnv(shape, source);
  if (env.BOARD_AUTH === 'on' && env.BOARD_PASSWORD === undefined) {
    throw new ConfigError([
      'BOARD_PASSWORD is required: the board can retry, remove and add jobs (set BOARD_AUTH=off only for a board on your own machine)',
    ]);
  }
  return {
    infra: infraFrom(env),
    port: env.BOARD_PORT,
    auth:
      env.BOARD_AUTH === 'on' && env.BOARD_PASSWORD !== undefined
        ? { username: env.BOARD_USERNAME, password: env.BOARD_PASSWORD }
        : null,
  };
}
