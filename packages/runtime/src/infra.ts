import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisEnv, s3Env } from '@etml/config';
import { ConfigError } from '@etml/domain';
import type { S3Settings } from '@etml/storage';
import { z } from 'zod';
import { type RedisTarget, redisTargetFrom } from './redis-target.ts';

/** The repository root: packages/runtime/src/ is three levels below it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const EMBEDDED_BUCKET = 'etml';

/** The env every process that touches Redis or S3 reads; a service's env.ts spreads it. */
export const infraEnv = {
  ...redisEnv,
  ...s3Env,
  ETML_DATA_DIR: z.string().min(1).optional(),
};

type InfraEnv = z.output<z.ZodObject<typeof infraEnv>>;

export interface Infra {
  /** A Redis URL, Sentinel or Cluster (see redis-target.ts). Unset: the embedded redis-server. */
  redisUrl: RedisTarget | undefined;
  /** REDIS_PREFIX; unset: the default, `{etml}`. */
  redisPrefix: string | undefined;
  /** Unset: the embedded S3-API server. */
  s3: S3Settings | undefined;
  s3Prefix: string;
  region: string | undefined;
  dataDir: string;
}

export function infraFrom(env: InfraEnv): Infra {
  if (env.S3_ENDPOINT && !env.S3_BUCKET) {
    throw new ConfigError(['S3_BUCKET is required when S3_ENDPOINT is set']);
  }
  return {
    redisUrl: redisTargetFrom(env),
    redisPrefix: env.REDIS_PREFIX,
    s3: env.S3_BUCKET
      ? {
          bucket: env.S3_BUCKET,
          prefix: env.S3_PREFIX,
          endpoint: env.S3_ENDPOINT,
          forcePathStyle: env.S3_FORCE_PATH_STYLE,
          region: env.AWS_REGION,
        }
      : undefined,
    s3Prefix: env.S3_PREFIX,
    region: env.AWS_REGION,
    dataDir: env.ETML_DATA_DIR ? resolve(env.ETML_DATA_DIR) : join(PROJECT_ROOT, '.data'),
  };
}
