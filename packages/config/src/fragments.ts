import {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  type LogSettings,
} from '@etml/domain';
import { z } from 'zod';
import {
  type EnvSource,
  envBool,
  envClockTime,
  envEnum,
  envInt,
  envNumber,
  envString,
  envTimeZone,
  envUrl,
} from './env.ts';

/** Env fragments that several services share; each service's env.ts spreads the ones it needs. */

function isHostPort(item: string): boolean {
  const match = /^[A-Za-z0-9.-]+:(\d{1,5})$/.exec(item.trim());
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65_535;
}

/** `host:port,host:port`: a Sentinel's or a Cluster's seed addresses. */
const hostPorts = z
  .string()
  .refine(
    text => text.split(',').every(isHostPort),
    'must be a comma-separated list of host:port, such as 10.0.0.1:26379,10.0.0.2:26379',
  );

export const redisEnv = {
  /** Unset in local runs: the project starts its own redis-server. */
  REDIS_URL: envUrl(['redis:', 'rediss:']).optional(),
  /** With REDIS_SENTINEL_NAME: the master the sentinels name; wins over REDIS_URL. */
  REDIS_SENTINELS: hostPorts.optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'must be a Sentinel master name (letters, digits, . _ -)')
    .optional(),
  /** A Redis Cluster's seed nodes; wins over REDIS_URL. */
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  /**
   * AUTH for a Sentinel's or a Cluster's data nodes (one server takes them in REDIS_URL). Never
   * validated here: a failed check would print the value.
   */
  REDIS_PASSWORD: z.string().optional(),
  /** An ACL user with REDIS_PASSWORD; unset: the default user. */
  REDIS_USERNAME: z.string().optional(),
  /** The sentinels' own `requirepass`, when they have one. */
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  /** Unset: `{etml}`. A hash tag, so that every key lands in one Cluster slot. */
  REDIS_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9._-]+\}$/, 'must be a Redis hash tag such as {etml} or {etml-staging}')
    .optional(),
};

const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)',
  );

export const s3Env = {
  S3_BUCKET: bucketName.optional(),
  /** Normalized to "" or "some/prefix/". */
  S3_PREFIX: z
    .string()
    .refine(p => !p.split('/').includes('..'), 'must not contain ".." segments')
    .transform(p => p.replace(/^\/+|\/+$/g, ''))
    .transform(p => (p ? `${p}/` : ''))
    .default(''),
  /** Unset means AWS S3. */
  S3_ENDPOINT: envUrl(['http:', 'https:']).optional(),
  S3_FORCE_PATH_STYLE: envBool().optional(),
  /** Unset: the AWS chain decides (profile, AWS_DEFAULT_REGION); us-east-1 for S3_ENDPOINT. */
  AWS_REGION: envString('an AWS region such as eu-west-2').optional(),
};

export const llmEnv = {
  /** Unset means the offline extractive summarizer. */
  OPENAI_API_KEY: envString().optional(),
  OPENAI_BASE_URL: envUrl(['http:', 'https:']).optional(),
  OPENAI_MODEL: envString('a model name').default('gpt-4o-mini'),
  LLM_MAX_REQUESTS_PER_MINUTE: envInt({ min: 1 }).default(60),
  /** Unset: no tokens limit. Counted in the same window as the requests. */
  LLM_MAX_TOKENS_PER_MINUTE: envInt({ min: 1 }).optional(),
  /** A day's LLM budget; unset: every anomalous ride gets the LLM. */
  LLM_MAX_SUMMARIES_PER_DAY: envInt({ min: 1 }).optional(),
  LLM_MAX_COST_PER_DAY_USD: envNumber({ min: 0, exclusiveMin: true }).optional(),
  LLM_CONCURRENCY: envInt({ min: 1, max: 1_000 }).default(4),
  LLM_TIMEOUT_SECONDS: envInt({ min: 1, max: 600 }).default(60),
  /** The window LLM_MAX_REQUESTS_PER_MINUTE is counted over: 60 s, as OpenAI counts. */
  LLM_RATE_WINDOW_SECONDS: envNumber({ min: 0, exclusiveMin: true }).default(60),
  LLM_ATTEMPTS: envInt({ min: 1, max: 50 }).default(6),
  LLM_BACKOFF_SECONDS: envNumber({ min: 0 }).default(2),
  /** auto: the LLM when OPENAI_API_KEY is set, else the offline extractive summarizer. */
  SUMMARIZER: envEnum(['auto', 'llm', 'extractive'] as const).default('auto'),
};

export const reportEnv = {
  /** Unset: no message when a day completes. */
  REPORT_WEBHOOK_URL: envUrl(['http:', 'https:']).optional(),
};

/** Where alerts go (a day late or failed): ALERT_WEBHOOK_URL, else REPORT_WEBHOOK_URL. */
export const alertEnv = {
  ...reportEnv,
  ALERT_WEBHOOK_URL: envUrl(['http:', 'https:']).optional(),
};

/** The URL alerts are posted to, if any. */
export function alertUrl(env: {
  ALERT_WEBHOOK_URL?: string | undefined;
  REPORT_WEBHOOK_URL?: string | undefined;
}): string | undefined {
  return env.ALERT_WEBHOOK_URL ?? env.REPORT_WEBHOOK_URL;
}

/** The schedule's zone, and so the zone "today" is in for every command that checks a date. */
export const scheduleTzEnv = {
  SCHEDULE_TZ: envTimeZone().default('UTC'),
};

/** When yesterday's outputs are due, in SCHEDULE_TZ; unset: no day is ever late. */
export const deadlineEnv = {
  REPORT_DEADLINE: envClockTime().optional(),
  ...scheduleTzEnv,
};

export const jobLockEnv = {
  /** BullMQ's lockDuration; stalled jobs are looked for as often. */
  JOB_LOCK_SECONDS: envInt({ min: 1, max: 3_600 }).default(30),
};

/** The worker options JOB_LOCK_SECONDS sets. */
export function jobLockOptions(seconds: number) {
  return { lockDuration: seconds * 1_000, stalledInterval: seconds * 1_000 };
}

/** Prometheus /metrics of a worker service; unset: no metrics server. */
export const metricsEnv = {
  METRICS_PORT: envInt({ min: 1, max: 65_535 }).optional(),
};

/** How a service logs: LOG_FORMAT unset is decided by the logger (a terminal or not). */
export const logEnv = {
  LOG_FORMAT: envEnum(LOG_FORMATS).optional(),
  LOG_LEVEL: envEnum(LOG_LEVELS).default('info'),
};

/** Secrets wherever they are read (AWS's by its SDK, from the same environment). */
const SECRET_VARS = [
  'OPENAI_API_KEY',
  'BOARD_PASSWORD',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];
/** URLs whose password, if they carry one, is a secret. */
const URL_VARS = ['REDIS_URL', 'S3_ENDPOINT', 'OPENAI_BASE_URL'];
/** URLs that are secrets themselves (their path or query holds a token): only the host may show. */
const TOKEN_URL_VARS = ['ALERT_WEBHOOK_URL', 'REPORT_WEBHOOK_URL'];

/** Shorter values would blank ordinary words; such a value is no real secret either. */
const MIN_SECRET_LENGTH = 4;

function urlSecrets(text: string, whole: boolean): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return whole ? [text] : [];
  }
  const found = [url.password];
  try {
    found.push(decodeURIComponent(url.password));
  } catch {
    // Not percent-encoding after all: the raw form is the one a line could show.
  }
  if (whole) found.push(text, `${url.pathname}${url.search}`.replace(/^\/$/, ''));
  return found;
}

/**
 * LOG_FORMAT and LOG_LEVEL, and the secrets of `source` that a log line must never show (the
 * logger replaces them should an error message carry one).
 */
export function logSettings(
  env: { LOG_FORMAT?: LogFormat | undefined; LOG_LEVEL: LogLevel },
  source: EnvSource,
): LogSettings {
  const value = (name: string) => source[name]?.trim() || undefined;
  const secrets = new Set<string>();
  for (const name of SECRET_VARS) secrets.add(value(name) ?? '');
  for (const name of URL_VARS) for (const s of urlSecrets(value(name) ?? '', false)) secrets.add(s);
  for (const name of TOKEN_URL_VARS) {
    const url = value(name);
    if (url) for (const s of urlSecrets(url, true)) secrets.add(s);
  }
  return {
    format: env.LOG_FORMAT,
    level: env.LOG_LEVEL,
    secrets: [...secrets].filter(s => s.length >= MIN_SECRET_LENGTH),
  };
}

/** OpenTelemetry traces, exported with OTLP over HTTP; unset endpoint: tracing is off. */
export const tracingEnv = {
  /** The standard base URL: spans go to `${endpoint}/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: envUrl(['http:', 'https:']).optional(),
  /** Unset: the service's own name. */
  OTEL_SERVICE_NAME: envString('a service name').optional(),
  /** The standard `key=value,…` (values percent-encoded), e.g. deployment.environment.name=prod. */
  OTEL_RESOURCE_ATTRIBUTES: z
    .string()
    .transform((text, context) => {
      const attributes: Record<string, string> = {};
      for (const pair of text.split(',')) {
        if (pair.trim() === '') continue;
        const at = pair.indexOf('=');
        const key = at > 0 ? pair.slice(0, at).trim() : '';
        let value: string | undefined;
        try {
          value = at > 0 ? decodeURIComponent(pair.slice(at + 1).trim()) : undefined;
        } catch {}
        if (!key || value === undefined) {
          context.addIssue({ code: 'custom', message: 'must be key=value pairs joined by commas' });
          return z.NEVER;
        }
        attributes[key] = value;
      }
      return attributes;
    })
    .optional(),
};

/** Where spans go, under which service name and resource; undefined: no tracing. */
export interface TracingEnv {
  endpoint: string;
  serviceName: string | undefined;
  resourceAttributes: Record<string, string>;
}

export function tracingFrom(env: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
  OTEL_RESOURCE_ATTRIBUTES?: Record<string, string> | undefined;
}): TracingEnv | undefined {
  return env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
    ? undefined
    : {
        endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
        serviceName: env.OTEL_SERVICE_NAME,
        resourceAttributes: env.OTEL_RESOURCE_ATTRIBUTES ?? {},
      };
}
