import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EnvSource, parseEnv, redisEnv, s3Env } from '@etml/config';
import { ConfigError } from '@etml/domain';
import type { S3Settings } from '@etml/storage';
import { z } from 'zod';

/** The repository root: packages/cli/src/ is three levels below it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const EMBEDDED_BUCKET = 'etml';

const shape = {
  ...redisEnv,
  ...s3Env,
  ETML_DATA_DIR: z.string().min(1).optional(),
};

export interface CliEnv {
  /** Unset: the embedded redis-server. */
  redisUrl: string | undefined;
  /** Unset: the embedded S3-API server. */
  s3: S3Settings | undefined;
  s3Prefix: string;
  region: string | undefined;
  dataDir: string;
}

/** The CLI's configuration; the only place the CLI reads the environment. */
export function loadCliEnv(source: EnvSource = process.env): CliEnv {
  const env = parseEnv(shape, source);
  if (env.S3_ENDPOINT && !env.S3_BUCKET) {
    throw new ConfigError(['S3_BUCKET is required when S3_ENDPOINT is set']);
  }
  return {
    redisUrl: env.REDIS_URL,
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
