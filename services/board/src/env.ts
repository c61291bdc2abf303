import { isIP } from 'node:net';
import {
  deadlineEnv,
  type EnvSource,
  envEnum,
  envInt,
  envString,
  logEnv,
  logSettings,
  parseEnv,
} from '@etml/config';
import { ConfigError, type LogSettings } from '@etml/domain';
import { type Infra, infraEnv, infraFrom } from '@etml/runtime';
import { z } from 'zod';

/** Dot-separated labels of letters, digits and inner hyphens (RFC 1123), as listen() resolves. */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** True when only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

const shape = {
  ...infraEnv,
  BOARD_PORT: envInt({ min: 1, max: 65_535 }).default(3000),
  /** Loopback by default: the board can change the queues, so the network is opted into. */
  BOARD_HOST: z
    .string()
    .refine(
      host => isIP(host) !== 0 || HOST_NAME.test(host),
      'must be an IP address or a host name, such as 127.0.0.1 or 0.0.0.0',
    )
    .default('127.0.0.1'),
  BOARD_USERNAME: envString().default('admin'),
  BOARD_PASSWORD: envString().optional(),
  /** off: no authentication, for a board on a developer's own machine only. */
  BOARD_AUTH: envEnum(['on', 'off'] as const).default('on'),
  /** REPORT_DEADLINE, and SCHEDULE_TZ: "today" for /reports/ (a later date has no report). */
  ...deadlineEnv,
  ...logEnv,
};

export interface BoardEnv {
  infra: Infra;
  /** LOG_FORMAT, LOG_LEVEL, and the secrets no log line may show. */
  log: LogSettings;
  /** SCHEDULE_TZ: the zone of "today" for /reports/. */
  tz: string;
  host: string;
  port: number;
  /** null when BOARD_AUTH=off. */
  auth: { username: string; password: string } | null;
  /** REPORT_DEADLINE in SCHEDULE_TZ, for etml_day_late; unset: never late. */
  deadline: string | undefined;
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
    log: logSettings(env, source),
    tz: env.SCHEDULE_TZ,
    host: env.BOARD_HOST,
    port: env.BOARD_PORT,
    auth:
      env.BOARD_AUTH === 'on' && env.BOARD_PASSWORD !== undefined
        ? { username: env.BOARD_USERNAME, password: env.BOARD_PASSWORD }
        : null,
    deadline: env.REPORT_DEADLINE,
  };
}
